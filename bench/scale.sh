#!/usr/bin/env bash
# The read model at scale (issue 10), Postgres, release build. Seeds with SQL (bench/lib.sh
# seed_world) 2 partners × C customers × T tenants, N incidents over the last year and W
# maintenance windows, then reports:
#   - start-up: from launching `slr serve` to /readyz (the read model's full load), and the
#     load time the server logs;
#   - RSS after start, and peak RSS after partner 0 and the provider read /status, /incidents
#     and the partner-wide yearly availability (first answer computed, then cached);
#   - the time to create 1,000 tenants one by one through the API (sequential POSTs).
# With OLD_SLR=path/to/an/older/slr, the tenant creation is timed with that binary too (on its
# own freshly seeded database) for comparison.
# Usage: bench/scale.sh [C=500] [T=100] [N=200000] [W=20000]
set -euo pipefail
cd "$(dirname "$0")/.."
CUSTOMERS="${1:-500}"
TENANTS="${2:-100}"
INCIDENTS="${3:-200000}"
WINDOWS="${4:-20000}"
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_init slr_bench_scale 18096
export SLR_RATE_LIMIT_PER_SECOND=0
BASE=http://127.0.0.1:$PORT

prepare() { # binary: a fresh database, migrated by it, seeded, with a provider admin
  psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" 2>/dev/null
  "$1" migrate >/dev/null
  local start=$(date +%s.%N)
  seed_world "$CUSTOMERS" "$TENANTS" "$INCIDENTS" "$WINDOWS"
  "$1" admin create --email bench@provider.example --name Bench >/dev/null
  SEEDED=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f", e - s}')
}

start() { # binary → PID, STARTUP (s)
  local launched=$(date +%s.%N)
  "$1" serve >/tmp/slr-bench-scale.log 2>&1 &
  PID=$!
  until curl -fs "$BASE/readyz" >/dev/null; do sleep 0.05; done
  STARTUP=$(awk -v s="$launched" -v e="$(date +%s.%N)" 'BEGIN {printf "%.2f", e - s}')
}

stop() { kill "$PID"; wait "$PID" 2>/dev/null || true; PID=; }

ms() { # token path → ms
  curl -fs -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $1" "$BASE$2" | awk '{printf "%.1f", $1 * 1000}'
}

create_tenants() { # admin-token → seconds for 1,000 sequential POST /api/v1/tenants
  python3 - "$BASE" "$1" "$(psql -qtA "$DATABASE_URL" -c "SELECT id FROM accounts WHERE kind = 'customer' ORDER BY id LIMIT 1")" \
    "$(psql -qtA "$DATABASE_URL" -c "SELECT id FROM services ORDER BY id LIMIT 1")" \
    "$(psql -qtA "$DATABASE_URL" -c "SELECT id FROM classifications ORDER BY id LIMIT 1")" <<'PY'
import json, sys, time, urllib.request
base, token, account, service, klass = sys.argv[1:6]
start = time.monotonic()
for i in range(1000):
    body = {"name": f"new-{i}", "account_id": int(account), "service_id": int(service), "classification_id": int(klass)}
    req = urllib.request.Request(base + "/api/v1/tenants", data=json.dumps(body).encode(), method="POST",
                                 headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    urllib.request.urlopen(req).read()
print(f"{time.monotonic() - start:.1f}")
PY
}

echo "seeding $((2 * CUSTOMERS * TENANTS)) tenants, $INCIDENTS incidents, $WINDOWS windows (load: $(cut -d' ' -f1-3 /proc/loadavg))"
prepare "$SLR"
echo "seeded in $SEEDED s"
start "$SLR"
echo "start-up to /readyz: $STARTUP s ($(grep -o 'read model loaded[^"]*' /tmp/slr-bench-scale.log | head -1))"
echo "RSS after start: $(awk '/VmRSS/ {print $2, $3}' "/proc/$PID/status")"
PARTNER=$("$SLR" token partner0@bench.example --ttl 1h)
ADMIN=$("$SLR" token bench@provider.example --ttl 1h)
FROM=$(date -u -d '365 days ago' +%Y-%m-%dT%H:%M:%SZ)
TO=$(date -u +%Y-%m-%dT%H:%M:%SZ)
printf '  %-42s %12s %12s\n' "read (first: computed; again: cached)" first again
for who in PARTNER ADMIN; do
  for path in /api/v1/status /api/v1/incidents "/api/v1/availability?from=$FROM&to=$TO"; do
    token=${!who}
    printf '  %-42s %9s ms %9s ms\n' "${who,,} ${path%%\?*}" "$(ms "$token" "$path")" "$(ms "$token" "$path")"
  done
done
echo "peak RSS after those reads: $(awk '/VmHWM/ {print $2, $3}' "/proc/$PID/status")"
echo "1,000 tenants created one by one: $(create_tenants "$ADMIN") s"
echo "RSS after them: $(awk '/VmRSS/ {print $2, $3}' "/proc/$PID/status")"
stop

if [ -n "${OLD_SLR:-}" ]; then
  prepare "$OLD_SLR"
  start "$OLD_SLR"
  echo "baseline $OLD_SLR: start-up $STARTUP s, 1,000 tenants created one by one: $(create_tenants "$("$OLD_SLR" token bench@provider.example --ttl 1h)") s"
  stop
fi
