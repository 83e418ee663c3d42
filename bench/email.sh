#!/usr/bin/env bash
# Email fan-out (issue 19), Postgres, release build: one incident announced to N subscribers
# (default 1,000: contacts spread over 20 customer accounts of partner 0, each subscribed at
# its own address), delivered over SMTP to a loopback sink (Python's smtpd, in this script).
# Reports the write's own latency (the POST that writes the N messages into the outbox in its
# transaction) and the time from the POST to the sink holding the last message, with the
# messages per second that makes.
# Usage: bench/email.sh [subscribers, default 1000]
set -euo pipefail
cd "$(dirname "$0")/.."
SUBSCRIBERS="${1:-1000}"
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_init slr_bench_email 18098
SMTP_PORT=18099
export SLR_RATE_LIMIT_PER_SECOND=0 SLR_SMTP_URL="smtp://127.0.0.1:$SMTP_PORT" SLR_PUBLIC_URL="http://127.0.0.1:$PORT"
BASE=http://127.0.0.1:$PORT
psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" 2>/dev/null
"$SLR" migrate >/dev/null
seed_world 10 10 0 0
psql -q "$DATABASE_URL" -v n="$SUBSCRIBERS" <<'SQL'
\set now '(now() AT TIME ZONE ''UTC'')'
CREATE TEMP TABLE c AS SELECT a.id, row_number() OVER (ORDER BY a.id) - 1 AS k FROM accounts a
  JOIN accounts p ON p.id = a.managing_partner_id AND p.name = 'Partner 0' WHERE a.kind = 'customer';
INSERT INTO contacts (account_id, email, name, role, created_at, updated_at)
  SELECT c.id, 'subscriber' || i || '@bench.example', 'Subscriber ' || i, 'viewer', :now, :now
  FROM generate_series(1, :n) i JOIN c ON c.k = i % (SELECT count(*) FROM c);
INSERT INTO email_subscriptions (account_id, contact_id, event_types, service_ids, unsubscribe_token, created_at, updated_at, version)
  SELECT account_id, id, 'incident.created', '', md5(random()::text || id), :now, :now, 1
  FROM contacts WHERE email LIKE 'subscriber%@bench.example';
SQL
"$SLR" admin create --email bench@provider.example --name Bench >/dev/null
SERVICE=$(psql -qtA "$DATABASE_URL" -c "SELECT id FROM services ORDER BY id LIMIT 1")
# The sink: counts messages, prints the instant of the last one once it has all of them.
python3 -W ignore - "$SMTP_PORT" "$SUBSCRIBERS" >/tmp/slr-bench-email-sink.txt 2>&1 <<'PY' &
import asyncore, smtpd, sys, time
port, wanted = int(sys.argv[1]), int(sys.argv[2])
class Sink(smtpd.SMTPServer):
    got = 0
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        Sink.got += len(rcpttos)
        if Sink.got >= wanted:
            print(f"{time.time():.6f}", flush=True)
            raise SystemExit(0)
Sink(("127.0.0.1", port), None)
asyncore.loop(timeout=0.05)
PY
SINK=$!
"$SLR" serve >/tmp/slr-bench-email.log 2>&1 &
PID=$!
until curl -fs "$BASE/readyz" >/dev/null; do sleep 0.05; done
ADMIN=$("$SLR" token bench@provider.example --ttl 1h)
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
START=$(date +%s.%N)
WRITE=$(curl -fs -o /dev/null -w '%{time_total}' -X POST -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
  -d "{\"service_id\": $SERVICE, \"title\": \"Login failures\", \"impact\": \"major_outage\", \"scope\": {\"kind\": \"service\"}, \"message\": \"Investigating.\"}" \
  "$BASE/api/v1/incidents")
wait "$SINK"
LAST=$(tail -n 1 /tmp/slr-bench-email-sink.txt)
QUEUED=$(psql -qtA "$DATABASE_URL" -c "SELECT count(*) FROM email_deliveries")
SENT=$(psql -qtA "$DATABASE_URL" -c "SELECT count(*) FROM email_deliveries WHERE state = 'delivered'")
awk -v s="$START" -v l="$LAST" -v w="$WRITE" -v n="$SUBSCRIBERS" -v q="$QUEUED" -v d="$SENT" 'BEGIN {
  t = l - s
  printf "subscribers %d, messages queued %d, delivered %d (recorded when the sink had all)\n", n, q, d
  printf "the announcing write (POST /incidents): %.1f ms\n", w * 1000
  printf "POST to last message at the sink: %.0f ms (%.0f messages/s)\n", t * 1000, n / t
}'
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
