#!/usr/bin/env bash
# Load check on the embedded SQLite default (release build, demo data): 64 concurrent
# connections of partner-wide availability reads, then of the status overview, for a few
# seconds each with wrk, printing requests/s, latency percentiles and any non-2xx answers.
# Rate limits are off here: this measures capacity, not the limiter.
# Usage: bench/load.sh [seconds per run, default 10] [runs, default 3]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-10}"
RUNS="${2:-3}"
PORT=18094
command -v wrk >/dev/null || { echo "installing wrk"; apt-get install -y wrk >/dev/null; }
cargo build --release -q -p slr
DIR=$(mktemp -d)
export SLR_DATA_DIR="$DIR" SLR_BIND="127.0.0.1:$PORT" RUST_LOG=warn SLR_RATE_LIMIT_PER_SECOND=0
target/release/slr serve >"$DIR/server.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; rm -rf "$DIR"' EXIT
until curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null; do sleep 0.1; done
TOKEN=$(target/release/slr token alice@northwind.example --ttl 1h)
echo "embedded SQLite, demo data, wrk -c64 -t2 ${DURATION}s, $RUNS runs each (load: $(cut -d' ' -f1-3 /proc/loadavg))"
for path in /api/v1/availability /api/v1/status; do
  for run in $(seq 1 "$RUNS"); do
    out=$(wrk -t2 -c64 -d"${DURATION}s" --latency -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT$path")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    errors=$(awk '/Non-2xx/ {print $5}' <<<"$out")
    printf '%-22s run %d: %9s req/s  p50 %8s  p99 %8s  non-2xx %s\n' "$path" "$run" "$rps" "$p50" "$p99" "${errors:-0}"
  done
done
grep -c "pool\|timed out" "$DIR/server.log" | xargs printf 'server log lines about pool time-outs: %s\n' || true
