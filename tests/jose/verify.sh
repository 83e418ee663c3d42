#!/usr/bin/env bash
# Verifies a statement signature with joserfc (Python, from PyPI, pinned), installing it when
# missing. Usage: verify.sh JWKS_FILE STATEMENT_FILE DETACHED_JWS
set -euo pipefail
python3 -c 'import joserfc' 2>/dev/null ||
  python3 -m pip install -q --disable-pip-version-check "joserfc==1.8.0" >&2
exec python3 "$(dirname "$0")/verify.py" "$@"
