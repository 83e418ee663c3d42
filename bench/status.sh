#!/usr/bin/env bash
# Benchmark of the status area on Postgres, release build: seeds 2 partners × 50 customers ×
# 10 tenants, 20 active incidents and 100 upcoming maintenance windows through the API, then
# loads GET /api/v1/status and GET /api/v1/incidents as a partner beside /healthz with wrk
# (64 connections), printing requests/s, p50/p99 latency, the ratio to /healthz and peak RSS.
# Usage: bench/status.sh [seconds per run, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-10}"
PG="${SLR_BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
DB=slr_bench_status
PORT=18090
command -v wrk >/dev/null || { echo "installing wrk"; apt-get install -y wrk >/dev/null; }
pg_isready -q -d "$PG/postgres" || { echo "bench: Postgres at $PG is not reachable" >&2; exit 1; }

cargo build --release -q -p slr
psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
export DATABASE_URL="$PG/$DB" SLR_JWT_SECRET="bench-secret-bench-secret-bench-secret" SLR_BIND="127.0.0.1:$PORT" RUST_LOG=warn
SLR=target/release/slr
$SLR migrate >/dev/null
$SLR admin create --email bench@provider.example --name Bench >/dev/null
$SLR serve >/tmp/slr-bench.log 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null' EXIT
until curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null; do sleep 0.1; done

echo "seeding through the API…"
START=$(date +%s)
PARTNER=$(python3 bench/seed.py "http://127.0.0.1:$PORT" "$($SLR token bench@provider.example --ttl 2h)")
echo "seeded in $(( $(date +%s) - START )) s"
TOKEN=$($SLR token "$PARTNER" --ttl 2h)

run() { # path → "rps p50 p99"
  wrk -t2 -c64 -d"${DURATION}s" --latency -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT$1" |
    awk '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /Non-2xx/ {bad=$NF} END {print rps, p50, p99, (bad==""?0:bad)}'
}
read -r H_RPS H_P50 H_P99 H_BAD < <(run /healthz)
printf '%-20s %10s %10s %10s %8s %8s\n' endpoint req/s p50 p99 ratio non-2xx
printf '%-20s %10s %10s %10s %8s %8s\n' /healthz "$H_RPS" "$H_P50" "$H_P99" 1.00 "$H_BAD"
for path in /api/v1/status /api/v1/incidents; do
  read -r RPS P50 P99 BAD < <(run "$path")
  printf '%-20s %10s %10s %10s %8s %8s\n' "$path" "$RPS" "$P50" "$P99" "$(awk -v a="$RPS" -v b="$H_RPS" 'BEGIN {printf "%.2f", a/b}')" "$BAD"
done
echo "status body: $(curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/status" | wc -c) bytes"
echo "peak RSS of slr: $(awk '/VmHWM/ {print $2, $3}' /proc/$PID/status)"
