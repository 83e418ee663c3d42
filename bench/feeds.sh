#!/usr/bin/env bash
# Feeds against the JSON they mirror (issue 11), release build, server on CPU 0 and wrk on CPU 1,
# 64 connections: the maintenance calendar (.ics) against the maintenance list, the incident
# Atom feed against the incident list (both with the feeds' 90-day window and the impacted
# tenants embedded), the status badge against /api/v1/status and the availability badge against
# the offering's 30-day availability, and the status page (HTML) — each with its ratio to /healthz.
# 1. SQLite default (`slr serve`, demo data), Northwind's admin reading with a feed token;
# 2. Postgres with the bench dataset (bench/seed.py), the partner's bearer token.
# Usage: bench/feeds.sh [seconds per run, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-10}"
. bench/lib.sh
command -v wrk >/dev/null || { echo "installing wrk"; apt-get install -y wrk >/dev/null; }
bench_init slr_bench_feeds 18290
export SLR_RATE_LIMIT_PER_SECOND=0
psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; bench_cleanup' EXIT
FROM=$(date -u -d '90 days ago' +%Y-%m-%dT%H:%M:%SZ)
MONTH=$(date -u -d '30 days ago' +%Y-%m-%dT%H:%M:%SZ)

pairs() { # title base bearer feed-query (e.g. "token=…", or "" to use the bearer)
  local base=$1 bearer=$2 q=$3 offering
  offering=$(curl -s -H "Authorization: Bearer $bearer" "$base/api/v1/offerings" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
  echo "$4 (load before: $(cut -d' ' -f1-3 /proc/loadavg))"
  printf '  %-58s %10s %9s %9s %7s %8s\n' endpoint req/s p50 p99 ratio errors
  read -r H P50 P99 BAD < <(load 64 "$base/healthz" "$bearer")
  row /healthz "$H" "$P50" "$P99" "$BAD" "$H"
  for pair in \
    "/api/v1/maintenances?from=$FROM&limit=200&include=impacted_tenants|/api/v1/maintenances.ics?$q" \
    "/api/v1/incidents?from=$FROM&limit=200&include=impacted_tenants|/api/v1/incidents.atom?$q" \
    "/api/v1/status|/api/v1/offerings/$offering/badge.svg?$q" \
    "/api/v1/offerings/$offering/availability?from=$MONTH|/api/v1/offerings/$offering/badge.svg?kind=availability&window=30d&$q"; do
    for path in "${pair%%|*}" "${pair##*|}"; do
      read -r R P50 P99 BAD < <(load 64 "$base$path" "$bearer")
      row "${path%%\?*}$( [[ $path == *kind=availability* ]] && echo ' (availability)')" "$R" "$P50" "$P99" "$BAD" "$H"
    done
  done
  read -r R P50 P99 BAD < <(load 64 "$base/status-page?$q" "$bearer")
  row "/status-page (HTML)" "$R" "$P50" "$P99" "$BAD" "$H"
}

# --- SQLite default, demo data, a feed token ----------------------------------------------
DIR=$(mktemp -d)
serve $((PORT + 2)) -u DATABASE_URL -u SLR_JWT_SECRET SLR_DATA_DIR="$DIR"
S=http://127.0.0.1:$((PORT + 2))
ALICE=$(env -u DATABASE_URL -u SLR_JWT_SECRET SLR_DATA_DIR="$DIR" "$SLR" token alice@northwind.example --ttl 2h)
FEED=$(curl -s -X POST -H "Authorization: Bearer $ALICE" -H 'Content-Type: application/json' \
  -d '{"name": "bench"}' "$S/api/v1/feed-tokens" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
echo "wrk -t1 -c64 -d${DURATION}s on CPU 1, slr on CPU 0"
pairs "$S" "$ALICE" "token=$FEED" "SQLite default, demo data, Northwind admin (feeds with its feed token)"
echo "peak RSS: SQLite server $(awk '/VmHWM/ {print $2, $3}' "/proc/$SERVER/status")"

# --- Postgres, bench dataset ----------------------------------------------------------------
A=http://127.0.0.1:$PORT
"$SLR" migrate >/dev/null
"$SLR" admin create --email bench@provider.example --name Bench >/dev/null
serve "$PORT"
ADMIN=$("$SLR" token bench@provider.example --ttl 2h)
echo "seeding through the API…"
PARTNER=$(python3 bench/seed.py "$A" "$ADMIN")
pairs "$A" "$("$SLR" token "$PARTNER" --ttl 2h)" "" "Postgres, bench dataset, partner (bearer)"
echo "peak RSS: Postgres server $(awk '/VmHWM/ {print $2, $3}' "/proc/$SERVER/status")"
rm -rf "$DIR"
