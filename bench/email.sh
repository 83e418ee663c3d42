#!/usr/bin/env bash
# Email fan-out (issue 19), Postgres, release build: one incident announced to N subscribers
# (default 1,000: contacts spread over 20 customer accounts of partner 0, each subscribed at
# its own address), delivered over SMTP to a loopback sink (a threaded Python SMTP receiver, in this script).
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
seed_world 10 10 1 1
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
# The sink: a minimal threaded SMTP receiver (TCP_NODELAY, answers at once); prints the instant
# it holds the last message.
python3 - "$SMTP_PORT" "$SUBSCRIBERS" >/tmp/slr-bench-email-sink.txt 2>&1 <<'PY' &
import socket, socketserver, sys, threading, time
port, wanted = int(sys.argv[1]), int(sys.argv[2])
lock = threading.Lock(); got = [0]; done = threading.Event()
class Session(socketserver.StreamRequestHandler):
    def handle(self):
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        w = lambda s: self.wfile.write(s.encode() + b"\r\n")
        w("220 sink ESMTP")
        while True:
            line = self.rfile.readline()
            if not line: return
            cmd = line.strip().upper()
            if cmd.startswith((b"EHLO", b"HELO")): w("250-sink\r\n250 8BITMIME")
            elif cmd.startswith(b"MAIL") or cmd.startswith(b"RCPT") or cmd.startswith(b"RSET") or cmd.startswith(b"NOOP"): w("250 OK")
            elif cmd == b"DATA":
                w("354 go")
                while self.rfile.readline() not in (b".\r\n", b""): pass
                w("250 queued")
                with lock:
                    got[0] += 1
                    if got[0] >= wanted and not done.is_set():
                        print(f"{time.time():.6f}", flush=True); done.set()
            elif cmd == b"QUIT": w("221 bye"); return
            else: w("502 no")
class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True; allow_reuse_address = True; request_queue_size = 256
s = Server(("127.0.0.1", port), Session)
threading.Thread(target=s.serve_forever, daemon=True).start()
done.wait()
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
RETRIED=$(psql -qtA "$DATABASE_URL" -c "SELECT count(*) FROM email_deliveries WHERE attempts > 1")
awk -v s="$START" -v l="$LAST" -v w="$WRITE" -v n="$SUBSCRIBERS" -v q="$QUEUED" -v d="$SENT" -v r="$RETRIED" 'BEGIN {
  t = l - s
  printf "subscribers %d, messages queued %d, delivered %d (recorded when the sink had all), sent more than once %d\n", n, q, d, r
  printf "the announcing write (POST /incidents): %.1f ms\n", w * 1000
  printf "POST to last message at the sink: %.0f ms (%.0f messages/s)\n", t * 1000, n / t
}'
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
