"""Webhook secrets are kept encrypted (docs/security.md): a copy of notify's database (a backup,
a dump handed to a vendor) does not let anyone sign deliveries as us.

The key is ``MINYI_DATA_KEY`` (at least 32 bytes; several separated by commas to rotate:
the first encrypts, every one decrypts), or, when that is not set, a key made on first
start and kept in ``$MINYI_DATA_DIR/notify.key`` (mode 0600), beside the embedded
databases but not in them. Fernet (AES-128-CBC with HMAC-SHA256) from ``cryptography``.
"""
import base64
import hashlib
import os

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from minyi_common import config

PREFIX = "fernet:"
KEY_FILE = "notify.key"


class Unreadable(Exception):
    """A stored secret that none of the keys opens (the key was changed or lost)."""


def _fernet(key: str) -> Fernet:
    # Any string of 32+ bytes (e.g. `secrets.token_hex(32)`, as for the other keys) is
    # turned into the 32 url-safe base64 bytes Fernet wants.
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(key.encode("utf-8")).digest()))


class SecretBox:
    def __init__(self, keys):
        keys = [k for k in keys if k]
        if not keys:
            raise ValueError("no key")
        self._fernet = MultiFernet([_fernet(k) for k in keys])

    def seal(self, secret: str) -> str:
        return PREFIX + self._fernet.encrypt(secret.encode("utf-8")).decode("ascii")

    def open(self, stored: str) -> str:
        if not is_sealed(stored):
            return stored  # written before secrets were sealed; `prepare` seals those
        try:
            return self._fernet.decrypt(stored[len(PREFIX):].encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise Unreadable("no key opens this secret") from None


def is_sealed(stored: str) -> bool:
    return stored.startswith(PREFIX)


def keys(settings) -> tuple:
    """The configured keys, else the one kept in the data directory (made if missing)."""
    if settings.data_keys:
        return settings.data_keys
    path = os.path.join(config.data_dir(), KEY_FILE)
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        # Written aside, then linked into place: another instance starting at the same
        # moment either wins (we read its key) or loses; nobody reads a half-written file.
        draft = f"{path}.{os.getpid()}"
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(base64.urlsafe_b64encode(os.urandom(32)).decode("ascii") + "\n")
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(draft)
    with open(path) as file:
        return (file.read().strip(),)


_boxes = {}


def box_for(settings) -> SecretBox:
    found = keys(settings)
    if found not in _boxes:
        _boxes[found] = SecretBox(found)
    return _boxes[found]
