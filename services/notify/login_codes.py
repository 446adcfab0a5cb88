"""Sign-in by SMS code (docs/security.md): notify makes a code for the one active person
whose mobile it is, sends it at once through the office's provider, and checks it once.
Six digits, five minutes, one use, at most MAX_TRIES wrong guesses; only a salted hash
is kept, and the code is never written to an event, an outbox or a delivery."""
import hashlib
import hmac
import json
import logging
import secrets
import uuid
from datetime import timedelta

from sqlalchemy import select, update

from minyi_common.contracts import mainland_mobile
from minyi_common.db import lock, utcnow

from .adapters import sms
from .adapters.orm import login_codes, people

log = logging.getLogger(__name__)
LIFETIME = timedelta(minutes=5)
MAX_TRIES = 5


def _hash(salt: str, code: str) -> str:
    return hashlib.sha256(f"{salt}:{code}".encode("ascii")).hexdigest()


def _owner(uow, mobile: str) -> str | None:
    """The one active person with this mobile (None for none, or for several: a shared
    phone cannot tell whose account a code would open)."""
    found = [r.id for r in uow.execute(select(people.c.id, people.c.phone).where(
        people.c.active.is_(True), people.c.phone.is_not(None)))
        if mainland_mobile(r.phone) == mobile]
    return found[0] if len(found) == 1 else None


def send_code(db, settings, phone) -> None:
    """Make and send a code when the number is one active person's; silently nothing
    otherwise (the caller answers the same either way)."""
    mobile = mainland_mobile(phone)
    if mobile is None or not settings.sms_url:
        return
    template = json.loads(settings.sms_templates or "{}").get("login_code")
    if not template:
        log.warning("SMS_TEMPLATES has no login_code template: no sign-in code sent")
        return
    code = f"{secrets.randbelow(10 ** 6):06d}"
    salt = secrets.token_hex(16)
    with db.unit_of_work() as uow:
        person_id = _owner(uow, mobile)
        if person_id is None:
            return
        lock(uow, f"notify:login-code:{person_id}")
        # A new code ends the ones before it: only the latest SMS works.
        uow.execute(update(login_codes).where(login_codes.c.person_id == person_id,
                                              login_codes.c.used_at.is_(None))
                    .values(used_at=utcnow()))
        uow.execute(login_codes.insert().values(
            id=str(uuid.uuid4()), person_id=person_id, code_hash=_hash(salt, code), salt=salt,
            expires_at=utcnow() + LIFETIME, tries=0))
        uow.commit()
    try:
        sms.provider(settings.sms_url, timeout=5).send(mobile, template, {"code": code})
    except (sms.Busy, sms.Refused) as problem:
        log.warning("sign-in code not sent: %s", problem)


def check_code(db, phone, code) -> str | None:
    """The person a right, fresh, unused code signs in (the code is used up), else None."""
    mobile = mainland_mobile(phone)
    if mobile is None or not isinstance(code, str) or len(code) != 6 or not code.isdigit():
        return None
    with db.unit_of_work() as uow:
        person_id = _owner(uow, mobile)
        if person_id is None:
            return None
        lock(uow, f"notify:login-code:{person_id}")
        row = uow.execute(select(login_codes).where(
            login_codes.c.person_id == person_id, login_codes.c.used_at.is_(None),
            login_codes.c.expires_at > utcnow()).order_by(login_codes.c.expires_at.desc())
        ).first()
        if row is None or row.tries >= MAX_TRIES:
            return None
        if not hmac.compare_digest(row.code_hash, _hash(row.salt, code)):
            uow.execute(update(login_codes).where(login_codes.c.id == row.id)
                        .values(tries=row.tries + 1))
            uow.commit()
            return None
        uow.execute(update(login_codes).where(login_codes.c.id == row.id).values(used_at=utcnow()))
        uow.commit()
        return person_id
