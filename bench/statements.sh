#!/usr/bin/env bash
# Closing a month at scale (issue 29, items 3 and 5), Postgres, release build. Seeds with SQL
# (bench/lib.sh seed_world) 2 partners × C customers × T tenants (default ≈ 100,000 tenants,
# 1,000 accounts), N incidents and W windows over the last year, a direct offering per customer
# and service, and a credit policy on every offering; then reports:
#   - the time of POST /api/v1/sla-periods for last month (UTC) and the statements it froze;
#   - RSS after start, peak RSS before and after the close (VmHWM);
#   - the slowest of the writes (PATCH of an offering's SLA target, one every 100 ms) made while
#     the month closes: whether closing stalls other writes;
#   - serving partner 0's statements: the first page of 200 (computed, then cached), every page
#     followed to the end, and the whole list as CSV.
# Usage: bench/statements.sh [C=499] [T=100] [N=200000] [W=20000]
set -euo pipefail
cd "$(dirname "$0")/.."
CUSTOMERS="${1:-499}"
TENANTS="${2:-100}"
INCIDENTS="${3:-200000}"
WINDOWS="${4:-20000}"
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_init slr_bench_statements 18097
export SLR_RATE_LIMIT_PER_SECOND=0
KEY_DIR=$(mktemp -d)
openssl genpkey -algorithm ED25519 -out "$KEY_DIR/statement-key.pem" 2>/dev/null
export SLR_STATEMENT_KEY="$KEY_DIR/statement-key.pem"
BASE=http://127.0.0.1:$PORT

psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" 2>/dev/null
"$SLR" migrate >/dev/null
echo "seeding $((2 * CUSTOMERS * TENANTS)) tenants, $((2 * CUSTOMERS + 2)) accounts, $INCIDENTS incidents, $WINDOWS windows (load: $(cut -d' ' -f1-3 /proc/loadavg))"
seed_world "$CUSTOMERS" "$TENANTS" "$INCIDENTS" "$WINDOWS"
psql -q "$DATABASE_URL" <<'SQL'
SET session_replication_role = replica;
INSERT INTO offerings (name, kind, service_id, account_id, sla_target, created_at, updated_at)
  SELECT DISTINCT 'Direct ' || t.account_id || '-' || t.service_id, 'direct', t.service_id, t.account_id, 99.95,
         now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
  FROM tenants t;
INSERT INTO credit_policies (offering_id, tiers, cap_percent, created_at, updated_at)
  SELECT id, '99.9:10 99:25', 30, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC' FROM offerings;
ANALYZE;
SQL
"$SLR" admin create --email bench@provider.example --name Bench >/dev/null
"$SLR" serve >/tmp/slr-bench-statements.log 2>&1 &
PID=$!
until curl -fs "$BASE/readyz" >/dev/null; do sleep 0.05; done
rss() { awk -v k="$1" '$1 == k":" {print $2, $3}' "/proc/$PID/status"; }
echo "RSS after start: $(rss VmRSS), peak so far: $(rss VmHWM)"
ADMIN=$("$SLR" token bench@provider.example --ttl 1h)
PARTNER=$("$SLR" token partner0@bench.example --ttl 1h)
PERIOD=$(date -u -d "$(date -u +%Y-%m-01) -1 day" +%Y-%m)
OFFERING=$(psql -qtA "$DATABASE_URL" -c "SELECT id FROM offerings ORDER BY id LIMIT 1")

# Writes while the month closes: one PATCH every 100 ms, each one's latency.
python3 - "$BASE" "$ADMIN" "$OFFERING" >/tmp/slr-bench-statements-writes.txt <<'PY' &
import json, sys, time, urllib.request
base, token, offering = sys.argv[1:4]
end = time.monotonic() + 120
i = 0
while time.monotonic() < end:
    body = json.dumps({"sla_target": 99.9 if i % 2 else 99.95}).encode()
    req = urllib.request.Request(f"{base}/api/v1/offerings/{offering}", data=body, method="PATCH",
                                 headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    start = time.monotonic()
    urllib.request.urlopen(req).read()
    print(f"{(time.monotonic() - start) * 1000:.1f}", flush=True)
    i += 1
    time.sleep(0.1)
PY
WRITER=$!
sleep 1
START=$(date +%s.%N)
ANSWER=$(curl -fs -X POST -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
  -d "{\"period\": \"$PERIOD\", \"tz\": \"Europe/Berlin\"}" "$BASE/api/v1/sla-periods")
CLOSED=$(awk -v s="$START" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f", e - s}')
sleep 1
kill "$WRITER" 2>/dev/null || true
wait "$WRITER" 2>/dev/null || true
echo "closing $PERIOD (Europe/Berlin): $CLOSED s, $(echo "$ANSWER" | python3 -c 'import json,sys; print(json.load(sys.stdin)["statement_count"])') statements"
echo "peak RSS after the close: $(rss VmHWM), RSS now: $(rss VmRSS)"
echo "writes during the close: $(wc -l </tmp/slr-bench-statements-writes.txt), p50 $(median </tmp/slr-bench-statements-writes.txt) ms, max $(sort -n /tmp/slr-bench-statements-writes.txt | tail -1) ms"
echo "statement bytes stored: $(psql -qtA "$DATABASE_URL" -c "SELECT pg_size_pretty(sum(octet_length(body))::bigint) FROM statements")"

ms() { curl -fs -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $1" "$BASE$2" | awk '{printf "%.1f", $1 * 1000}'; }
FIRST="/api/v1/statements?period=$PERIOD&limit=200"
echo "partner 0, first page of 200: $(ms "$PARTNER" "$FIRST") ms computed, $(ms "$PARTNER" "$FIRST") ms cached"
python3 - "$BASE" "$PARTNER" "$PERIOD" <<'PY'
import json, sys, time, urllib.request
base, token, period = sys.argv[1:4]
start, count, pages, cursor = time.monotonic(), 0, 0, None
while True:
    url = f"{base}/api/v1/statements?period={period}&limit=200" + (f"&cursor={cursor}" if cursor else "")
    page = json.load(urllib.request.urlopen(urllib.request.Request(url, headers={"Authorization": "Bearer " + token})))
    count, pages, cursor = count + len(page["items"]), pages + 1, page["next_cursor"]
    if not cursor:
        break
print(f"partner 0, every page followed: {count} statements in {pages} pages, {time.monotonic() - start:.1f} s")
PY
CSV="/api/v1/statements.csv?period=$PERIOD"
echo "partner 0, all as CSV: $(ms "$PARTNER" "$CSV") ms computed, $(ms "$PARTNER" "$CSV") ms cached ($(curl -fs -H "Authorization: Bearer $PARTNER" "$BASE$CSV" | wc -l) lines)"
echo "peak RSS at the end: $(rss VmHWM)"
rm -rf "$KEY_DIR"
