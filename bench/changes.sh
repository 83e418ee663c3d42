#!/usr/bin/env bash
# The change feed at scale (issue 19), Postgres, release build. Seeds with SQL (bench/lib.sh
# seed_world) 2 partners × 500 customers × 100 tenants = 100,000 tenants, then makes 1,000
# writes through the API (tenant renames, half on each partner's tenants) and reports, for
# partner 0 and the provider admin:
#   - syncing the 1,000 writes from the feed: pages of 1,000 (`limit=1000`), objects told, total
#     time of the first (computed) and of a repeated (cached) pass;
#   - an idle poll (`since` = the last `next_since`): median and p99 over 50 requests;
#   - for comparison, re-listing partner 0's 50,000 tenants (`/tenants`, 200 a page).
# Usage: bench/changes.sh [writes, default 1000]
set -euo pipefail
cd "$(dirname "$0")/.."
WRITES="${1:-1000}"
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_init slr_bench_changes 18097
export SLR_RATE_LIMIT_PER_SECOND=0
BASE=http://127.0.0.1:$PORT
psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" 2>/dev/null
"$SLR" migrate >/dev/null
echo "seeding 100,000 tenants…"
seed_world 500 100 1000 100
"$SLR" admin create --email bench@provider.example --name Bench >/dev/null
"$SLR" serve >/tmp/slr-bench-changes.log 2>&1 &
PID=$!
until curl -fs "$BASE/readyz" >/dev/null; do sleep 0.05; done
ADMIN=$("$SLR" token bench@provider.example --ttl 2h)
PARTNER=$("$SLR" token partner0@bench.example --ttl 2h)
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$BASE" "$ADMIN" "$PARTNER" "$WRITES" "$DATABASE_URL" <<'PY'
import json, subprocess, sys, time, urllib.request
base, admin, partner, writes, url = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]

def call(path, token, method="GET", body=None):
    req = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body else None,
                                 headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"null")

def ids(sql):
    return [int(x) for x in subprocess.check_output(["psql", "-qtA", url, "-c", sql]).split()]

p0 = ids("SELECT t.id FROM tenants t JOIN accounts a ON a.id = t.account_id JOIN accounts p ON p.id = a.managing_partner_id WHERE p.name = 'Partner 0' ORDER BY t.id LIMIT %d" % (writes // 2))
p1 = ids("SELECT t.id FROM tenants t JOIN accounts a ON a.id = t.account_id JOIN accounts p ON p.id = a.managing_partner_id WHERE p.name = 'Partner 1' ORDER BY t.id LIMIT %d" % (writes - writes // 2))
since = {who: call("/api/v1/changes", tok)["next_since"] for who, tok in (("partner", partner), ("admin", admin))}
start = time.monotonic()
for n, tid in enumerate(p0 + p1):
    call(f"/api/v1/tenants/{tid}", admin, "PATCH", {"name": f"renamed-{n}"})
print(f"{len(p0) + len(p1)} writes through the API in {time.monotonic() - start:.1f} s")

def sync(token, since):
    t, pages, told = time.monotonic(), 0, 0
    while True:
        page = call(f"/api/v1/changes?since={since}&limit=1000", token)
        pages += 1
        told += len(page["items"])
        since = page["next_since"]
        if not page["has_more"]:
            return (time.monotonic() - t) * 1000, pages, told, since

for who, token in (("partner 0", partner), ("provider admin", admin)):
    key = "partner" if who == "partner 0" else "admin"
    first = sync(token, since[key])
    again = sync(token, since[key])
    polls = []
    for _ in range(50):
        t = time.monotonic()
        call(f"/api/v1/changes?since={first[3]}", token)
        polls.append((time.monotonic() - t) * 1000)
    polls.sort()
    print(f"{who}: {first[2]} objects told in {first[1]} pages: {first[0]:.1f} ms first, {again[0]:.1f} ms repeated; "
          f"idle poll median {polls[25]:.2f} ms, p99 {polls[49]:.2f} ms")

t, pages, cursor, items = time.monotonic(), 0, None, 0
while True:
    page = call("/api/v1/tenants?limit=200" + (f"&cursor={cursor}" if cursor else ""), partner)
    pages += 1
    items += len(page["items"])
    cursor = page["next_cursor"]
    if not cursor:
        break
print(f"re-listing instead: partner 0's {items} tenants in {pages} pages: {(time.monotonic() - t) * 1000:.0f} ms")
PY
echo "peak RSS: $(awk '/VmHWM/ {print $2, $3}' "/proc/$PID/status")"
