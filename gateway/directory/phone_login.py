"""Sign-in by SMS code, the gateway's part (docs/security.md): requests for a code are
counted per number and per address; notify makes, sends and checks the code. These
limits are their own: they never stop anyone from signing in with a password."""
from datetime import timedelta

from sqlalchemy import delete, insert, select

from minyi_common.contracts import mainland_mobile
from minyi_common.db import lock, utcnow
from minyi_common.errors import Unauthorized, ValidationFailed

from ..adapters.orm import sms_code_requests, users
from .accounts import user_row
from .sessions import TooManyAttempts

# One code a minute and five an hour for a number; twenty an hour from an address.
PER_NUMBER = ((timedelta(minutes=1), 1), (timedelta(hours=1), 5))
PER_ADDRESS = ((timedelta(hours=1), 20),)


def mobile_of(payload) -> str:
    """The mainland mobile a body names, or 422 naming ``phone``."""
    if not isinstance(payload, dict):
        raise ValidationFailed("the body must be a JSON object", {"_body": ["Not an object."]})
    mobile = mainland_mobile(payload.get("phone"))
    if mobile is None:
        raise ValidationFailed("some fields are invalid", {"phone": [
            "Not a mainland mobile number."]})
    return mobile


def request_code(db, payload, address: str | None, send) -> dict:
    """Count the request, then let ``send(mobile)`` (notify) send a code if the number
    is someone's. The answer is the same whether it is or not."""
    mobile = mobile_of(payload)
    address = (address or "unknown")[:45]
    now = utcnow()
    with db.unit_of_work() as uow:
        lock(uow, f"gateway:sms-code:{address}")
        uow.execute(delete(sms_code_requests).where(
            sms_code_requests.c.at < now - timedelta(hours=1)))
        waits = []
        for column, value, limits in ((sms_code_requests.c.phone, mobile, PER_NUMBER),
                                      (sms_code_requests.c.address, address, PER_ADDRESS)):
            for window, most in limits:
                times = [r.at for r in uow.execute(
                    select(sms_code_requests.c.at).where(column == value,
                                                         sms_code_requests.c.at >= now - window)
                    .order_by(sms_code_requests.c.at.desc()).limit(most))]
                if len(times) >= most:
                    waits.append(int((times[-1] + window - now).total_seconds()) + 1)
        if waits:
            uow.commit()
            raise TooManyAttempts(max(waits))
        uow.execute(insert(sms_code_requests).values(phone=mobile, address=address, at=now))
        uow.commit()
    send(mobile)
    return {"accepted": True}


def user_for_code(db, payload, check) -> dict:
    """The account a right code opens (``check(mobile, code)``: notify's answer, the
    person's id or None); 401 for a wrong, stale or used code, or a disabled account."""
    mobile = mobile_of(payload)
    code = payload.get("code")
    if not isinstance(code, str) or not code:
        raise ValidationFailed("some fields are invalid", {"code": [
            "Missing data for required field."]})
    person_id = check(mobile, code.strip())
    row = None
    if person_id:
        with db.unit_of_work(read_only=True) as uow:
            row = uow.execute(select(users).where(users.c.id == person_id)).first()
    user = user_row(row) if row else None
    if user is None or not user["active"]:
        raise Unauthorized("wrong or expired code")
    return user
