"""Schemathesis hooks for .ci/schemathesis (loaded through schemathesis.toml's `hooks`).

A schema-valid generated `Idempotency-Key` is replaced by a fresh UUID. Generated keys
repeat (hypothesis draws short strings such as "0"), and a repeated key with the same body is
answered from the stored response — by design, even when the object it created was deleted
since — which schemathesis's stateful checks would read as "created resource not found".
Invalid keys are left as generated, so negative testing of the header still happens; the
end-to-end suite tests replays (tests/tests/api/hardening.rs).
"""

import re
import uuid

import schemathesis

KEY = re.compile(r"[\x21-\x7E]{1,255}")


@schemathesis.hook
def map_headers(ctx, headers):
    for name in list(headers or {}):
        if name.lower() == "idempotency-key" and KEY.fullmatch(str(headers[name])):
            headers[name] = str(uuid.uuid4())
    return headers
