#!/usr/bin/env bash
# Reads against the server's bare speed (issues 10 and 20), release build. The server runs on
# CPU 0 and wrk on CPU 1 (taskset), 64 connections, for a partner token:
#   /healthz; /api/v1/status (the summary) and /api/v1/status?include=impacted_tenants (the
#   full form), each plain and with Accept-Encoding: gzip, with their body sizes;
#   /api/v1/incidents, /api/v1/availability and /api/v1/status with If-None-Match (304), each
#   with its ratio to /healthz;
# 1. on Postgres with the bench dataset (bench/seed.py through the API: 2 partners × 50
#    customers × 10 tenants, 20 active incidents, 100 windows);
# 2. the same while another process posts one incident update per second;
# 3. two replicas on that one database, the load split between them (2 × 32 connections);
# 4. on the SQLite default (`slr serve` without DATABASE_URL: embedded file, demo data), with
#    and without the writer.
# Prints each server's peak RSS. Usage: bench/status.sh [seconds per run, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-10}"
. bench/lib.sh
command -v wrk >/dev/null || { echo "installing wrk"; apt-get install -y wrk >/dev/null; }
command -v taskset >/dev/null || { echo "bench: taskset (util-linux) is missing" >&2; exit 1; }
bench_init slr_bench_status 18090
export SLR_RATE_LIMIT_PER_SECOND=0
psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; bench_cleanup' EXIT

table() { # title base token
  local base=$2 token=$3 etag
  echo "$1 (load before: $(cut -d' ' -f1-3 /proc/loadavg))"
  printf '  %-58s %10s %9s %9s %7s %8s\n' endpoint req/s p50 p99 ratio errors
  read -r H P50 P99 BAD < <(load 64 "$base/healthz" "$token")
  row /healthz "$H" "$P50" "$P99" "$BAD" "$H"
  for path in /api/v1/status "/api/v1/status?include=impacted_tenants"; do
    for encoding in "" gzip; do
      local header="" label="$path" bytes
      [ -n "$encoding" ] && header="Accept-Encoding: $encoding" && label="$path gzip"
      bytes=$(curl -s -H "Authorization: Bearer $token" ${header:+-H "$header"} "$base$path" | wc -c)
      read -r R P50 P99 BAD < <(load 64 "$base$path" "$token" "$header")
      row "$label ($bytes B)" "$R" "$P50" "$P99" "$BAD" "$H"
    done
  done
  for path in /api/v1/incidents /api/v1/availability; do
    read -r R P50 P99 BAD < <(load 64 "$base$path" "$token")
    row "$path" "$R" "$P50" "$P99" "$BAD" "$H"
  done
  etag=$(curl -s -D - -o /dev/null -H "Authorization: Bearer $token" "$base/api/v1/status" | awk 'tolower($1) == "etag:" {print $2}' | tr -d '\r')
  read -r R P50 P99 BAD < <(load 64 "$base/api/v1/status" "$token" "If-None-Match: $etag")
  row "/api/v1/status If-None-Match (304)" "$R" "$P50" "$P99" "$BAD" "$H"
}

WRITER=
writer_start() { # base admin-token: one incident update a second until writer_stop
  local base=$1 admin=$2 id
  id=$(curl -s -H "Authorization: Bearer $admin" "$base/api/v1/incidents?limit=200" |
    python3 -c 'import json,sys; print(next(i["id"] for i in json.load(sys.stdin)["items"] if i["status"] != "resolved"))')
  (while true; do
    curl -s -o /dev/null -X POST -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
      -d '{"message": "Still working on it."}' "$base/api/v1/incidents/$id/updates"
    sleep 1
  done) &
  WRITER=$!
  PIDS+=("$WRITER")
}
writer_stop() { kill "$WRITER" 2>/dev/null || true; wait "$WRITER" 2>/dev/null || true; }

rss() { awk '/VmHWM/ {print $2, $3}' "/proc/$1/status"; }

# --- Postgres, bench dataset -------------------------------------------------------------
A=http://127.0.0.1:$PORT
"$SLR" migrate >/dev/null
"$SLR" admin create --email bench@provider.example --name Bench >/dev/null
serve "$PORT"
SERVER_A=$SERVER
ADMIN=$("$SLR" token bench@provider.example --ttl 2h)
echo "seeding through the API…"
START=$(date +%s)
PARTNER=$(python3 bench/seed.py "$A" "$ADMIN")
echo "seeded in $(( $(date +%s) - START )) s; status body $(curl -s -H "Authorization: Bearer $("$SLR" token "$PARTNER" --ttl 2h)" "$A/api/v1/status" | wc -c) bytes"
TOKEN=$("$SLR" token "$PARTNER" --ttl 2h)
echo "wrk -t1 -c64 -d${DURATION}s on CPU 1, slr on CPU 0"
table "Postgres, bench dataset" "$A" "$TOKEN"
writer_start "$A" "$ADMIN"
table "Postgres, while another process posts 1 incident update/s" "$A" "$TOKEN"
writer_stop

serve $((PORT + 1))
SERVER_B=$SERVER
B=http://127.0.0.1:$((PORT + 1))
echo "Postgres, two replicas on one database, /api/v1/status, 2 × 32 connections at once"
load 32 "$A/api/v1/status" "$TOKEN" >/tmp/slr-bench-a.txt &
WA=$!
load 32 "$B/api/v1/status" "$TOKEN" >/tmp/slr-bench-b.txt &
WB=$!
wait "$WA" "$WB"
read -r RA P50A P99A BADA </tmp/slr-bench-a.txt
read -r RB P50B P99B BADB </tmp/slr-bench-b.txt
printf '  replica A %10s req/s p50 %s p99 %s errors %s\n' "$RA" "$P50A" "$P99A" "$BADA"
printf '  replica B %10s req/s p50 %s p99 %s errors %s\n' "$RB" "$P50B" "$P99B" "$BADB"
printf '  together  %10s req/s\n' "$(awk -v a="$RA" -v b="$RB" 'BEGIN {printf "%.0f", a+b}')"
echo "peak RSS: replica A $(rss "$SERVER_A"), replica B $(rss "$SERVER_B")"

# --- SQLite default, demo data -----------------------------------------------------------
DIR=$(mktemp -d)
serve $((PORT + 2)) -u DATABASE_URL -u SLR_JWT_SECRET SLR_DATA_DIR="$DIR"
SERVER_S=$SERVER
S=http://127.0.0.1:$((PORT + 2))
token() { env -u DATABASE_URL -u SLR_JWT_SECRET SLR_DATA_DIR="$DIR" "$SLR" token "$1" --ttl 2h; }
table "SQLite default, demo data" "$S" "$(token alice@northwind.example)"
writer_start "$S" "$(token admin@acme-cloud.example)"
table "SQLite default, while another process posts 1 incident update/s" "$S" "$(token alice@northwind.example)"
writer_stop
echo "peak RSS: SQLite server $(rss "$SERVER_S")"
rm -rf "$DIR"
