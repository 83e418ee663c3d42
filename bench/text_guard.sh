#!/usr/bin/env bash
# Benchmark of the event-text guard (issue 7) on Postgres, release build: how long creating an
# incident takes when its text is checked against every tenant and partner/customer account
# name, at 10 and at 100,000 tenants (and 20,000 accounts). Each POST carries a 2,000-character
# message of ordinary words (accepted; aimed at one tenant, so the answer stays small), and a
# second series a message naming the last tenant (refused with 422, the guard alone). Prints the
# median and p90 of each, in milliseconds.
# Usage: bench/text_guard.sh [requests per measurement, default 30]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-30}"
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_init slr_bench_text_guard 18093

seed() { # tenants accounts
  psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
  $SLR migrate >/dev/null
  $SLR admin create --email admin@bench.example --name Admin >/dev/null
  psql -q "$DATABASE_URL" -v tenants="$1" -v accounts="$2" <<'SQL'
\set now '(now() AT TIME ZONE ''UTC'')'
INSERT INTO services (name, created_at, updated_at) VALUES ('Service A', :now, :now), ('Service B', :now, :now);
INSERT INTO classifications (code, tier, region, label, created_at, updated_at) VALUES ('saas2-eu', 2, 'EU', 'SaaS 2 EU-hosted', :now, :now);
INSERT INTO accounts (name, kind, created_at, updated_at)
  SELECT 'Customer account ' || i, 'customer', :now, :now FROM generate_series(1, :accounts) i;
INSERT INTO tenants (name, account_id, service_id, classification_id, created_at, updated_at)
  SELECT 'tenant-' || i, (SELECT min(id) FROM accounts WHERE kind = 'customer') + i % :accounts,
         (SELECT min(id) FROM services) + i % 2, (SELECT min(id) FROM classifications), :now, :now
  FROM generate_series(1, :tenants) i;
ANALYZE;
SQL
}

post_times() { # token body-file → one latency (ms) per line
  for _ in $(seq 1 "$RUNS"); do
    curl -s -o /dev/null -w '%{time_total}\n' -X POST "http://127.0.0.1:$PORT/api/v1/incidents" \
      -H "Authorization: Bearer $1" -H 'Content-Type: application/json' --data-binary @"$2"
  done | awk '{printf "%.2f\n", $1 * 1000}'
}

measure() { # tenants accounts
  seed "$1" "$2"
  $SLR serve >/tmp/slr-bench-text-guard.log 2>&1 &
  PID=$!
  until curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null; do sleep 0.1; done
  local token service tenant words ok named
  token=$($SLR token admin@bench.example --ttl 1h)
  service=$(psql -qtA "$DATABASE_URL" -c "SELECT min(id) FROM services")
  tenant=$(psql -qtA "$DATABASE_URL" -c "SELECT min(id) FROM tenants WHERE service_id = $service")
  words=$(python3 -c "import random; random.seed(7); w=['login','latency','errors','in','the','EU','region','database','failover','recovered','after','cache','warm','up','queue','backlog','drained']; print(' '.join(random.choice(w) for _ in range(300))[:2000])")
  ok=$(mktemp); named=$(mktemp)
  printf '{"service_id":%s,"title":"Login errors","impact":"degraded","scope":{"kind":"tenants","tenant_ids":[%s]},"message":"%s"}' "$service" "$tenant" "$words" >"$ok"
  printf '{"service_id":%s,"title":"Login errors","impact":"degraded","scope":{"kind":"service"},"message":"%s tenant-%s"}' "$service" "${words:0:1900}" "$1" >"$named"
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$PORT/api/v1/incidents" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' --data-binary @"$named")
  [ "$code" = 422 ] || { echo "bench: a text naming a tenant answered $code, not 422" >&2; exit 1; }
  local accepted refused
  accepted=$(post_times "$token" "$ok")
  refused=$(post_times "$token" "$named")
  printf '%9s tenants %6s accounts | accepted: p50 %6s ms  p90 %6s ms | refused: p50 %6s ms  p90 %6s ms\n' \
    "$1" "$2" "$(percentile 0.5 <<<"$accepted")" "$(percentile 0.9 <<<"$accepted")" \
    "$(percentile 0.5 <<<"$refused")" "$(percentile 0.9 <<<"$refused")"
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
  rm -f "$ok" "$named"
}

echo "POST /api/v1/incidents with a 2,000-character message, $RUNS requests each (load: $(cut -d' ' -f1-3 /proc/loadavg))"
measure 10 5
measure 100000 20000
