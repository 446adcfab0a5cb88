"""Who is acting, as the gateway vouches for it (docs/security.md).

Services take the principal of each call from the message, so anything that can publish
on the broker could otherwise call a service as an admin. With ``MINYI_PRINCIPAL_KEY`` set
(a secret the gateway and the services share; `make run` makes one per launch, compose
takes it from the environment), the gateway signs each principal with an HMAC and an
expiry, and services refuse any principal that is unsigned, altered or stale. Without
the key (tests of one service, a developer's container) principals are taken as given.
"""
import hashlib
import hmac
import json
import os
import time

from .errors import Forbidden

KEY_ENV = "MINYI_PRINCIPAL_KEY"
LIFETIME = 120  # seconds: one request's calls, with room for clocks a little apart
SIGNED = ("id", "username", "roles", "unit_ids")


def _key() -> bytes | None:
    key = os.environ.get(KEY_ENV)
    return key.encode("utf-8") if key else None


def _mac(key: bytes, principal: dict, expires: int) -> str:
    text = json.dumps([principal.get(f) for f in SIGNED] + [expires], ensure_ascii=False,
                      separators=(",", ":"))
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def sign(principal: dict, now: float | None = None) -> dict:
    """The principal with ``expires`` and ``signature`` (unchanged without a key)."""
    key = _key()
    if key is None:
        return principal
    expires = int((now or time.time()) + LIFETIME)
    return {**principal, "expires": expires, "signature": _mac(key, principal, expires)}


def check(data, now: float | None = None) -> None:
    """Raise Forbidden unless ``data`` was signed by the gateway and is still fresh."""
    key = _key()
    if key is None:
        return
    sealed = isinstance(data, dict) and isinstance(data.get("signature"), str) \
        and isinstance(data.get("expires"), int)
    if not sealed or data["expires"] < (now or time.time()) \
            or not hmac.compare_digest(_mac(key, data, data["expires"]), data["signature"]):
        raise Forbidden("this call does not come from the gateway")
