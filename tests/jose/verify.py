"""Verifies a statement's detached JWS (RFC 7515 appendix F) with joserfc, outside the Rust code.

Usage: verify.py JWKS_FILE STATEMENT_FILE DETACHED_JWS
Puts BASE64URL(statement bytes) back between the dots, verifies the compact JWS with the key the
header names from the JWK set, and prints `verified` (exit 0) or `refused` (exit 1).
"""

import base64
import json
import sys

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet


def main() -> int:
    jwks_path, statement_path, detached = sys.argv[1:4]
    with open(jwks_path, encoding="utf-8") as f:
        keys = KeySet.import_key_set(json.load(f))
    with open(statement_path, "rb") as f:
        payload = f.read()
    header, empty, signature = detached.split(".")
    if empty:
        print("refused: not a detached JWS")
        return 1
    encoded = base64.urlsafe_b64encode(payload).rstrip(b"=").decode("ascii")
    try:
        verified = jws.deserialize_compact(
            f"{header}.{encoded}.{signature}", keys, algorithms=["EdDSA"]
        )
    except (JoseError, ValueError) as e:
        print(f"refused: {type(e).__name__}")
        return 1
    if verified.payload != payload:
        print("refused: payload differs")
        return 1
    print("verified")
    return 0


if __name__ == "__main__":
    sys.exit(main())
