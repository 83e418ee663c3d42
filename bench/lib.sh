# Sourced by the bench scripts: checks Postgres, builds the release binary, exports the
# server's environment for database $1 and port $2, and drops the database (and stops a server
# started into $PID) on exit. Also: `median` and `percentile P` over numbers on stdin.
bench_init() { # database port
  PG="${SLR_BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
  DB="$1"
  PORT="$2"
  pg_isready -q -d "$PG/postgres" || { echo "bench: Postgres at $PG is not reachable" >&2; exit 1; }
  cargo build --release -q -p slr
  SLR=target/release/slr
  export DATABASE_URL="$PG/$DB" SLR_JWT_SECRET="bench-secret-bench-secret-bench-secret" SLR_BIND="127.0.0.1:$PORT" RUST_LOG=warn
  PID=
  trap bench_cleanup EXIT
}

bench_cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null
  psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null
}

median() { percentile 0.5; }

percentile() { sort -n | awk -v p="$1" '{a[NR]=$1} END {i=int(NR*p+0.999); if (i<1) i=1; print a[i]}'; }
