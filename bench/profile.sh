#!/usr/bin/env bash
# Where a cached /api/v1/status hit spends its time (issue 20): the release server on CPU 0
# (SQLite demo data), wrk on CPU 1 with a partner token and Accept-Encoding: gzip, and
# `perf record` on the server meanwhile; prints the hottest symbols (self time) and the share of
# samples under each layer of the request path; then what the access line and the rate limiter
# cost: the same hit with each turned on alone. Usage: bench/profile.sh [seconds, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-10}"
command -v wrk >/dev/null || { echo "installing wrk"; apt-get install -y wrk >/dev/null; }
command -v perf >/dev/null || { echo "installing perf"; apt-get install -y linux-perf >/dev/null; }
cargo build --release -q -p slr
SLR=target/release/slr
DIR=$(mktemp -d)
PORT=18190
export SLR_DATA_DIR="$DIR" SLR_BIND="127.0.0.1:$PORT" RUST_LOG=warn SLR_RATE_LIMIT_PER_SECOND="${SLR_RATE_LIMIT_PER_SECOND:-20}"
unset DATABASE_URL SLR_JWT_SECRET
taskset -c 0 "$SLR" serve >/dev/null 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$DIR"' EXIT
until curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null; do sleep 0.1; done
TOKEN=$("$SLR" token alice@northwind.example --ttl 1h)
URL="http://127.0.0.1:$PORT/api/v1/status"
# The rate limiter is on as in production, with a burst large enough for the run.
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
taskset -c 1 wrk -t1 -c64 -d"$((DURATION + 2))s" --latency -H "Authorization: Bearer $TOKEN" \
  -H "Accept-Encoding: gzip" "$URL" >/tmp/slr-profile-wrk.txt &
WRK=$!
sleep 1
perf record -F 300 --call-graph dwarf,8192 -p "$SERVER" -o /tmp/slr-perf.data -- sleep "$DURATION" >/dev/null 2>&1
wait "$WRK"
grep -E "Requests/sec|99%" /tmp/slr-profile-wrk.txt
report() { perf report -i /tmp/slr-perf.data --no-inline --stdio -g none --sort symbol "$@" 2>/dev/null | cut -c1-130; }
echo "hottest symbols (self):"
report --no-children | grep -E '^ +[0-9.]+%' | head -20 || true
echo "share of samples under each step of the request path (inclusive):"
report --children | grep -E '^ +[0-9.]+% +[0-9.]+%' |
  grep -E 'slr_api::|actix_cors|compress|env_logger|log::__private|governor|moka' | head -30 || true

# What two optional steps cost on the same hit: each on alone, against both off.
ab() { # label env…
  local label=$1; shift
  local dir port=18191 server token out
  dir=$(mktemp -d)
  env SLR_DATA_DIR="$dir" SLR_BIND="127.0.0.1:$port" "$@" taskset -c 0 "$SLR" serve >/dev/null 2>&1 &
  server=$!
  until curl -fs "http://127.0.0.1:$port/readyz" >/dev/null; do sleep 0.1; done
  token=$(SLR_DATA_DIR="$dir" "$SLR" token alice@northwind.example --ttl 1h)
  out=$(taskset -c 1 wrk -t1 -c64 -d"${DURATION}s" --latency -H "Authorization: Bearer $token" \
    -H "Accept-Encoding: gzip" "http://127.0.0.1:$port/api/v1/status")
  printf '  %-40s %10s req/s  p99 %s\n' "$label" "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" \
    "$(awk '$1 == "99%" {print $2}' <<<"$out")"
  kill "$server"; wait "$server" 2>/dev/null || true; rm -rf "$dir"
}
echo "the same hit, per step (load before: $(cut -d' ' -f1-3 /proc/loadavg)):"
ab "access line off, rate limiter off" RUST_LOG=warn SLR_RATE_LIMIT_PER_SECOND=0
ab "rate limiter on (never reached)" RUST_LOG=warn SLR_RATE_LIMIT_PER_SECOND=1000000 SLR_RATE_LIMIT_BURST=1000000
ab "access line on (RUST_LOG=info)" RUST_LOG=info SLR_RATE_LIMIT_PER_SECOND=0
