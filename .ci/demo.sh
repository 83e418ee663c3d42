# Sourced by CI scripts that talk to the demo: `start_demo SLR_BIN [VAR=value …]` starts
# `slr serve` on an empty data folder (embedded SQLite, demo data) on a port the system picks,
# and sets DEMO_URL (as printed: http://127.0.0.1:PORT), DEMO_PID and DEMO_DIR, where
# `exports` holds the `export SLR_TOKEN_…=…` lines it printed. `stop_demo` ends it.

start_demo() {
  local bin=$1
  shift
  DEMO_DIR=$(mktemp -d)
  env SLR_DATA_DIR="$DEMO_DIR/data" SLR_BIND=127.0.0.1:0 RUST_LOG=warn "$@" \
    "$bin" serve >"$DEMO_DIR/stdout" 2>"$DEMO_DIR/stderr" &
  DEMO_PID=$!
  for _ in $(seq 1 600); do
    grep -qs '^slr listening on ' "$DEMO_DIR/stdout" && break
    if ! kill -0 "$DEMO_PID" 2>/dev/null; then
      echo "the demo server stopped:" >&2
      cat "$DEMO_DIR/stdout" "$DEMO_DIR/stderr" >&2
      return 1
    fi
    sleep 0.1
  done
  DEMO_URL=$(sed -n 's/^slr listening on //p' "$DEMO_DIR/stdout")
  if [ -z "$DEMO_URL" ]; then
    echo "the demo server did not start within a minute" >&2
    return 1
  fi
  sed -n 's/^ *\(export SLR_TOKEN_[A-Z0-9_]*=.*\)$/\1/p' "$DEMO_DIR/stdout" >"$DEMO_DIR/exports"
  if [ "$(wc -l <"$DEMO_DIR/exports")" -lt 5 ]; then
    echo "the demo printed no persona tokens:" >&2
    cat "$DEMO_DIR/stdout" >&2
    return 1
  fi
}

stop_demo() {
  if [ -n "${DEMO_PID:-}" ]; then
    kill "$DEMO_PID" 2>/dev/null || true
    wait "$DEMO_PID" 2>/dev/null || true
  fi
  [ -n "${DEMO_DIR:-}" ] && rm -rf "$DEMO_DIR"
  DEMO_PID=
  DEMO_DIR=
}
