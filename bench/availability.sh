#!/usr/bin/env bash
# Benchmark of the availability rollups on Postgres, release build. For each size it seeds
# (with SQL, in seconds) 2 partners with customers and tenants across 4 classifications and
# 3 services, N incidents (mostly service- or classification-wide, 5 % aimed at one tenant)
# and 2,000 maintenance windows over the last year, then times as partner 0:
#   - the partner-wide rollup  GET /api/v1/availability (one year),
#   - the per-offering rollup  GET /api/v1/offerings/{partner_tenants}/availability (one year, daily buckets),
# against the bare SQL that fetches the same incident rows (psql, same server).
# Usage: bench/availability.sh [runs per measurement, default 7]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-7}"
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_init slr_bench_availability 18092

seed() { # customers-per-partner tenants-per-customer incidents
  psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
  $SLR migrate >/dev/null
  psql -q "$DATABASE_URL" -v customers="$1" -v tenants="$2" -v incidents="$3" <<'SQL'
\set now '(now() AT TIME ZONE ''UTC'')'
INSERT INTO services (name, created_at, updated_at) SELECT 'Service ' || i, :now, :now FROM generate_series(1, 3) i;
INSERT INTO classifications (code, tier, region, label, created_at, updated_at) VALUES
  ('saas2-eu', 2, 'EU', 'SaaS 2 EU-hosted', :now, :now), ('saas3-eu', 3, 'EU', 'SaaS 3 EU-hosted', :now, :now),
  ('saas2-us', 2, 'US', 'SaaS 2 US-hosted', :now, :now), ('saas3-us', 3, 'US', 'SaaS 3 US-hosted', :now, :now);
INSERT INTO accounts (name, kind, created_at, updated_at) SELECT 'Partner ' || p, 'partner', :now, :now FROM generate_series(0, 1) p;
INSERT INTO accounts (name, kind, managing_partner_id, created_at, updated_at)
  SELECT 'Customer ' || p.name || ' ' || c, 'customer', p.id, :now, :now FROM accounts p, generate_series(1, :customers) c WHERE p.kind = 'partner';
CREATE TEMP TABLE s AS SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM services;
CREATE TEMP TABLE k AS SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM classifications;
INSERT INTO tenants (name, account_id, service_id, classification_id, created_at, updated_at)
  SELECT 't' || a.id || '-' || t, a.id, s.id, k.id, :now, :now
  FROM accounts a CROSS JOIN generate_series(1, :tenants) t JOIN s ON s.n = t % 3 JOIN k ON k.n = (a.id + t) % 4
  WHERE a.kind = 'customer';
INSERT INTO offerings (name, kind, service_id, account_id, sla_target, created_at, updated_at)
  SELECT sv.name || ' - ' || p.name || ' (Partner Tenants)', 'partner_tenants', sv.id, p.id, 99.9, :now, :now
  FROM services sv, accounts p WHERE p.kind = 'partner';
INSERT INTO contacts (account_id, email, name, role, created_at, updated_at)
  SELECT id, 'partner0@bench.example', 'Partner 0', 'viewer', :now, :now FROM accounts WHERE name = 'Partner 0';
INSERT INTO incidents (service_id, title, impact, status, scope_kind, started_at, resolved_at, version, created_at, updated_at)
  SELECT s.id, 'Incident ' || i, (ARRAY['degraded', 'partial_outage', 'major_outage'])[1 + i % 3], 'resolved',
         CASE WHEN i % 20 = 0 THEN 'tenants' WHEN i % 2 = 0 THEN 'service' ELSE 'classifications' END,
         :now - interval '365 days' + i * (interval '365 days' / :incidents),
         :now - interval '365 days' + i * (interval '365 days' / :incidents) + (10 + i % 240) * interval '1 minute',
         1, :now, :now
  FROM generate_series(1, :incidents) i JOIN s ON s.n = i % 3;
UPDATE incidents SET initial_impact = impact;
INSERT INTO incident_classifications (incident_id, classification_id)
  SELECT i.id, k.id FROM incidents i JOIN k ON k.n = i.id % 4 WHERE i.scope_kind = 'classifications';
INSERT INTO incident_tenants (incident_id, tenant_id)
  SELECT i.id, (SELECT t.id FROM tenants t WHERE t.service_id = i.service_id ORDER BY t.id OFFSET i.id % 50 LIMIT 1)
  FROM incidents i WHERE i.scope_kind = 'tenants';
INSERT INTO maintenances (service_id, title, description, status, expected_impact, scheduled_start, scheduled_end, version, created_at, updated_at)
  SELECT s.id, 'Window ' || i, 'Planned.', 'completed', CASE WHEN i % 2 = 0 THEN 'downtime' ELSE 'degraded' END,
         :now - interval '365 days' + i * interval '4 hours', :now - interval '365 days' + i * interval '4 hours' + interval '90 minutes', 1, :now, :now
  FROM generate_series(1, 2000) i JOIN s ON s.n = i % 3;
UPDATE maintenances SET actual_start = scheduled_start, actual_end = scheduled_end;
INSERT INTO maintenance_classifications (maintenance_id, classification_id)
  SELECT m.id, k.id FROM maintenances m JOIN k ON k.n IN (m.id % 4, (m.id + 1) % 4);
ANALYZE;
SQL
}

measure() { # label customers tenants incidents
  seed "$2" "$3" "$4"
  $SLR serve >/tmp/slr-bench-availability.log 2>&1 &
  PID=$!
  until curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null; do sleep 0.1; done
  local token from to offering
  token=$($SLR token partner0@bench.example --ttl 1h)
  to=$(date -u +%Y-%m-%dT%H:%M:%SZ); from=$(date -u -d '365 days ago' +%Y-%m-%dT%H:%M:%SZ)
  offering=$(psql -qtA "$DATABASE_URL" -c "SELECT o.id FROM offerings o JOIN accounts a ON a.id = o.account_id WHERE a.name = 'Partner 0' ORDER BY o.id LIMIT 1")
  time_get() { for _ in $(seq "$RUNS"); do curl -fs -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $token" "http://127.0.0.1:$PORT$1"; done | awk '{print $1 * 1000}' | median; }
  local wide one bare
  wide=$(time_get "/api/v1/availability?from=$from&to=$to")
  one=$(time_get "/api/v1/offerings/$offering/availability?from=$from&to=$to&granularity=day")
  bare=$(for _ in $(seq "$RUNS"); do
      psql -qtA "$DATABASE_URL" -c '\timing on' -c "\\o /dev/null" \
        -c "SELECT i.*, c.classification_id, t.tenant_id FROM incidents i LEFT JOIN incident_classifications c ON c.incident_id = i.id LEFT JOIN incident_tenants t ON t.incident_id = i.id WHERE i.started_at < '$to' AND (i.resolved_at IS NULL OR i.resolved_at >= '$from')" |
        awk '/^Time:/ {print $2}'
    done | median)
  local tenants_total=$(( 2 * $2 * $3 ))
  printf '%-28s %8s %10s %14s %14s %12s %10s\n' "$1" "$tenants_total" "$4" "${wide} ms" "${one} ms" "${bare} ms" "$(awk -v a="$wide" -v b="$bare" 'BEGIN {printf "%.1f×", a/b}')"
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
}

printf '%-28s %8s %10s %14s %14s %12s %10s\n' size tenants incidents partner-wide per-offering "bare SQL" wide/bare
measure "10k tenants, 50k incidents" 50 100 50000
measure "2.5k tenants, 50k incidents" 25 50 50000
measure "10k tenants, 25k incidents" 50 100 25000
