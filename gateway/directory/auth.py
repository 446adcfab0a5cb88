"""Passwords (argon2) and access tokens (JWT, HS256)."""
import hashlib
import logging
import os
import secrets
import time

import jwt
from argon2 import PasswordHasher, profiles
from eventlet import tpool
from eventlet.semaphore import Semaphore
from argon2.exceptions import InvalidHashError, VerificationError

from minyi_common.errors import Unauthorized

TOKEN_LIFETIME = 8 * 3600  # one working day
# MINYI_TEST_CHEAP_PASSWORD_HASHES=1 is for the test suite alone: it makes and logs in
# people by the thousand, each an argon2 run of a tenth of a second of both cores. It never
# weakens a password stored before (verify() reads the parameters from each hash), and
# `make run`, compose and the gateway's own settings never set it.
CHEAP_HASHES = os.environ.get("MINYI_TEST_CHEAP_PASSWORD_HASHES") == "1"
_hasher = PasswordHasher.from_parameters(profiles.CHEAPEST) if CHEAP_HASHES else PasswordHasher()
if CHEAP_HASHES:
    logging.getLogger(__name__).warning(
        "MINYI_TEST_CHEAP_PASSWORD_HASHES is set: new passwords get test-only argon2 "
        "parameters; never set it outside the test suite")
# Verifying against this when the user does not exist keeps the answer time the same.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(8))


# argon2 spends about 0.1 s of CPU per password. On the event loop that would stall every
# other request of the gateway (a login flood froze /healthz); in a native thread it does
# not (argon2-cffi releases the GIL). Yet twenty hashes at once (four lanes each) take
# every core from the loop all the same: hashes wait their turn, at most half the cores'
# worth at a time, so a flood of logins makes logins slower, never the rest. Logins from
# an address that failed within the minute wait in a lane of their own: a flood from a few
# addresses does not hold up people logging in from elsewhere.
_LANE_WIDTH = max(1, (os.cpu_count() or 2) // 2)
_HASHING = Semaphore(_LANE_WIDTH)
_SUSPECT_HASHING = Semaphore(_LANE_WIDTH)


def _off_the_loop(work, *args, suspect: bool = False):
    with _SUSPECT_HASHING if suspect else _HASHING:
        return tpool.execute(work, *args)


def hash_password(password: str) -> str:
    return _off_the_loop(_hasher.hash, password)


# One-time passwords are 10 random characters (about 58 bits) and live until first login:
# a lighter hash keeps a roster of hundreds importable in seconds. verify() reads the
# parameters from each hash, so both kinds check the same way.
_one_time_hasher = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)


def hash_one_time_password(password: str) -> str:
    return _off_the_loop(_one_time_hasher.hash, password)


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def verify_password(password_hash: str | None, password: str, suspect: bool = False) -> bool:
    """``suspect``: the attempt comes from an address that failed lately (its own lane)."""
    return _off_the_loop(_verify, password_hash, password, suspect=suspect)


def session_token_hash(token: str) -> str:
    """What is kept of a browser session's token: its SHA-256, never the token itself."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(secret: str, user_id: str, token_version: int, lifetime=TOKEN_LIFETIME) -> str:
    now = int(time.time())
    return jwt.encode({"sub": user_id, "ver": token_version, "iat": now, "exp": now + lifetime},
                      secret, algorithm="HS256")


def read_token(secret: str, token: str) -> dict:
    try:
        return jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["exp", "sub"]})
    except jwt.ExpiredSignatureError:
        raise Unauthorized("the access token has expired; log in again") from None
    except jwt.InvalidTokenError:
        raise Unauthorized("the access token is not valid") from None
