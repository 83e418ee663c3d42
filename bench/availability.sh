#!/usr/bin/env bash
# Benchmark of the availability rollups on Postgres, release build. For each size it seeds
# (with SQL, bench/lib.sh seed_world) 2 partners with customers and tenants across 4
# classifications and 3 services, N incidents and 2,000 maintenance windows over the last year,
# then times as partner 0:
#   - the partner-wide rollup  GET /api/v1/availability (one year),
#   - the per-offering rollup  GET /api/v1/offerings/{partner_tenants}/availability (one year, daily buckets),
#   each computed from the read model (a window ending a second earlier each time, so the
#   answer cache cannot help), then the partner-wide one answered from the answer cache,
# beside the bare SQL that fetches the same incident rows (psql, same server). The "recoveries"
# rows add per-tenant recovery (bench/lib.sh seed_recoveries): in every 10th wide incident one
# customer's tenants recover halfway and the next customer's are ruled out.
# Usage: bench/availability.sh [runs per measurement, default 7]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-7}"
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_init slr_bench_availability 18092

measure() { # label customers tenants incidents [recover-every-nth]
  psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
  $SLR migrate >/dev/null
  seed_world "$2" "$3" "$4" 2000
  [ -n "${5:-}" ] && seed_recoveries "$5" >&2
  $SLR serve >/tmp/slr-bench-availability.log 2>&1 &
  PID=$!
  until curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null; do sleep 0.1; done
  local token offering
  token=$($SLR token partner0@bench.example --ttl 1h)
  offering=$(psql -qtA "$DATABASE_URL" -c "SELECT o.id FROM offerings o JOIN accounts a ON a.id = o.account_id WHERE a.name = 'Partner 0' ORDER BY o.id LIMIT 1")
  # path-with-{window} [same] → median ms. Each request asks for a window ending a second
  # earlier than the last (a new question: computed from the read model, not the answer
  # cache) unless `same` is given (then one warm-up and the cached answer).
  time_get() {
    local to from url
    to=$(date -u +%Y-%m-%dT%H:%M:%SZ); from=$(date -u -d '365 days ago' +%Y-%m-%dT%H:%M:%SZ)
    fill() { sed "s|{window}|from=$from\&to=$to|" <<<"http://127.0.0.1:$PORT$1"; }
    [ -n "${2:-}" ] && curl -fs -o /dev/null -H "Authorization: Bearer $token" "$(fill "$1")"
    for i in $(seq "$RUNS"); do
      [ -z "${2:-}" ] && to=$(date -u -d "$i seconds ago" +%Y-%m-%dT%H:%M:%SZ)
      url=$(fill "$1")
      curl -fs -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $token" "$url"
    done | awk '{print $1 * 1000}' | median
  }
  local wide one cached bare to from
  wide=$(time_get "/api/v1/availability?{window}")
  one=$(time_get "/api/v1/offerings/$offering/availability?{window}&granularity=day")
  cached=$(time_get "/api/v1/availability?{window}" same)
  to=$(date -u +%Y-%m-%dT%H:%M:%SZ); from=$(date -u -d '365 days ago' +%Y-%m-%dT%H:%M:%SZ)
  bare=$(for _ in $(seq "$RUNS"); do
      psql -qtA "$DATABASE_URL" -c '\timing on' -c "\\o /dev/null" \
        -c "SELECT i.*, c.classification_id, t.tenant_id FROM incidents i LEFT JOIN incident_classifications c ON c.incident_id = i.id LEFT JOIN incident_tenants t ON t.incident_id = i.id WHERE i.started_at < '$to' AND (i.resolved_at IS NULL OR i.resolved_at >= '$from')" |
        awk '/^Time:/ {print $2}'
    done | median)
  local tenants_total=$(( 2 * $2 * $3 ))
  printf '%-28s %8s %10s %14s %14s %12s %12s\n' "$1" "$tenants_total" "$4" "${wide} ms" "${one} ms" "${cached} ms" "${bare} ms"
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
}

echo "p50 of $RUNS requests (load: $(cut -d' ' -f1-3 /proc/loadavg)); computed = a new window each time, from the read model"
printf '%-28s %8s %10s %14s %14s %12s %12s\n' size tenants incidents partner-wide per-offering "wide cached" "bare SQL"
measure "10k tenants, 50k incidents" 50 100 50000
measure "  … with recoveries" 50 100 50000 10
measure "2.5k tenants, 50k incidents" 25 50 50000
measure "10k tenants, 25k incidents" 50 100 25000
