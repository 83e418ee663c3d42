#!/usr/bin/env python3
"""Seeds a large world through the slr API as a provider admin, for the benchmarks.

Usage: seed.py BASE_URL ADMIN_TOKEN [PARTNERS CUSTOMERS_PER_PARTNER TENANTS_PER_CUSTOMER]
Creates services, four classifications, partners with customers and tenants, 20 active
incidents and 100 upcoming maintenance windows; prints the first partner contact's e-mail.
"""
import datetime as dt
import json
import sys
import urllib.request

base, token = sys.argv[1], sys.argv[2]
partners, customers, tenants = (int(a) for a in (sys.argv[3:6] or (2, 50, 10)))


def post(path, body):
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode(),
        headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request) as response:
        return json.load(response)


services = [post("/api/v1/services", {"name": f"Service {i}"})["id"] for i in range(3)]
classes = [
    post("/api/v1/classifications", {"code": code, "tier": tier, "region": region})["id"]
    for code, tier, region in [("saas2-eu", 2, "EU"), ("saas3-eu", 3, "EU"), ("saas2-us", 2, "US"), ("saas3-us", 3, "US")]
]
for p in range(partners):
    partner = post("/api/v1/accounts", {"name": f"Partner {p}", "kind": "partner"})["id"]
    post(f"/api/v1/accounts/{partner}/contacts", {"email": f"partner{p}@bench.example", "name": f"Partner {p}", "role": "viewer"})
    for c in range(customers):
        customer = post("/api/v1/accounts", {"name": f"Customer {p}-{c}", "kind": "customer", "managing_partner_id": partner})["id"]
        for t in range(tenants):
            service = services[t % len(services)]
            post("/api/v1/tenants", {"name": f"t{p}-{c}-{t}", "account_id": customer, "service_id": service, "classification_id": classes[(c + t) % 4]})
        post("/api/v1/offerings", {"service_id": services[0], "account_id": customer})

now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
for i in range(20):
    scope = {"kind": "service"} if i % 2 == 0 else {"kind": "classifications", "classification_ids": [classes[i % 4]]}
    post("/api/v1/incidents", {
        "service_id": services[i % 3], "title": f"Active incident {i}", "impact": ["degraded", "partial_outage", "major_outage"][i % 3],
        "scope": scope, "started_at": (now - dt.timedelta(minutes=10 + i)).isoformat().replace("+00:00", "Z"), "message": "Investigating.",
    })
for i in range(100):
    start = now + dt.timedelta(hours=6 + i * 3)
    post("/api/v1/maintenances", {
        "service_id": services[i % 3], "title": f"Window {i}", "description": "Planned work.", "expected_impact": "downtime",
        "scheduled_start": start.isoformat().replace("+00:00", "Z"), "scheduled_end": (start + dt.timedelta(hours=2)).isoformat().replace("+00:00", "Z"),
        "classification_ids": [classes[i % 4], classes[(i + 1) % 4]],
    })
print("partner0@bench.example")
