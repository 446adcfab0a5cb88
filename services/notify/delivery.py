"""Email and webhook deliveries: recorded once per (event, recipient, channel) in the
same transaction as the inbox items, then sent by a background loop that claims due rows
with a lease, retries failures with exponential backoff and jitter, and finally parks
them as failed for an admin to see and retry."""
import json
import logging
import random
import time
from datetime import timedelta

from minyi_common.contracts import DeliverySchema, load_page, load_principal, require
from minyi_common.db import utcnow
from minyi_common.errors import Conflict, NotFound, ValidationFailed

from .adapters.repository import DELIVERY_STATUSES, NotifyRepository

# One total deadline per delivery (connect, TLS, every read and write together): a
# receiver that answers a byte at a time cannot hold a sender longer (the service enforces
# it around each send). A claim's lease covers its whole batch at that worst case, and a
# sender starts no send its lease could not cover: no other instance ever resends a
# delivery that is still being sent. The lease is also how long a delivery a crashed
# instance had claimed waits before another sends it (10 + 10 = 20 s), so a claim takes
# one row: the sends of one loop are one after another anyway. (The service takes the
# deadline from MINYI_DELIVERY_DEADLINE.)
SEND_DEADLINE = 10.0
BATCH = 1
LEASE_MARGIN = 10.0
MAX_DELAY = 3600.0

log = logging.getLogger(__name__)


class Undeliverable(Exception):
    """A send that failed, with the reason in the words of the admin who reads 发送记录
    (the sender adapters describe what they met; the technical detail is logged)."""


UNEXPECTED = "发送出错，详情见 notify 服务日志"


def backoff(attempts: int, base: float, rng=random.random) -> float:
    """Seconds before the next try: base × 2^(attempts−1), ±50 % jitter, at most an hour."""
    return min(MAX_DELAY, base * 2 ** (attempts - 1)) * (0.5 + rng())


def record(repo, event, channel, recipient, target, body, subject=None) -> None:
    """A delivery to make, unless this (event, recipient, channel) has one already."""
    now = utcnow()
    repo.add_delivery(dict(
        event_id=event["event_id"], event_type=event["event_type"], channel=channel,
        recipient=recipient, target=target, subject=subject, body=body, status="pending",
        attempts=0, next_attempt_at=now, created_at=now))


def lease_for(limit: int, deadline: float) -> timedelta:
    return timedelta(seconds=limit * deadline + LEASE_MARGIN)


def claim_due(db, limit=BATCH, deadline=SEND_DEADLINE) -> list:
    """Take up to ``limit`` due deliveries for a while (a lease), so that no other loop,
    here or in another instance, sends them meanwhile; a crashed sender's lease runs out."""
    now = utcnow()
    until = now + lease_for(limit, deadline)
    with db.unit_of_work() as uow:
        rows = NotifyRepository(uow).claim_due(now, until, limit)
        uow.commit()
    for row in rows:
        row["locked_until"] = until  # this claim's fence (see attempt)
    return rows


def release(db, rows) -> None:
    """Give back claimed deliveries not sent (their lease could not cover a send)."""
    if not rows:
        return
    with db.unit_of_work() as uow:
        repo = NotifyRepository(uow)
        for row in rows:
            repo.change_claimed(row, {"status": "pending"})
        uow.commit()


def attempt(db, row, send, base_delay: float, max_attempts: int) -> str:
    """Send one claimed delivery and record how it went; returns the new status."""
    try:
        send(row)
        values = {"status": "sent", "sent_at": utcnow(), "last_error": None}
    except Exception as exc:
        attempts = row["attempts"] + 1
        log.warning("delivery %s (%s to %s) failed, attempt %d: %r", row["id"], row["channel"],
                    row["target"], attempts, exc.__cause__ or exc)
        reason = str(exc) if isinstance(exc, Undeliverable) else UNEXPECTED
        values = {"attempts": attempts, "last_error": reason[:1000]}
        if attempts >= max_attempts:
            values["status"] = "failed"
        else:
            values.update(status="pending", next_attempt_at=utcnow() + timedelta(
                seconds=backoff(attempts, base_delay)))
    else:
        values["attempts"] = row["attempts"] + 1
    record_while_leased(lambda: _record_attempt(db, row, values), row["locked_until"])
    return values["status"]


def record_while_leased(record, locked_until) -> None:
    """What was sent must be recorded, or the lease runs out and it is sent again: a
    database restarting meanwhile is waited for while the lease lasts."""
    pause = 0.2
    while True:
        try:
            return record()
        except Exception:
            if utcnow() + timedelta(seconds=pause) >= locked_until:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 5.0)


def _record_attempt(db, row, values) -> None:
    with db.unit_of_work() as uow:
        NotifyRepository(uow).change_claimed(row, values)
        uow.commit()


def dispatch_once(db, send, base_delay, max_attempts, limit=BATCH,
                  deadline=SEND_DEADLINE) -> bool:
    """One round of the delivery loop; True when there may be more due right now.
    ``send`` must give up within ``deadline`` seconds (the service wraps it so)."""
    rows = claim_due(db, limit, deadline)
    for index, row in enumerate(rows):
        if utcnow() + timedelta(seconds=deadline) > row["locked_until"]:
            release(db, rows[index:])
            break
        attempt(db, row, send, base_delay, max_attempts)
    return len(rows) == limit


# --- admins: webhooks and deliveries ---------------------------------------------------
def list_deliveries(db, principal, filters) -> dict:
    require(load_principal(principal), "manage_notifications")
    filters = dict(filters or {})
    paging = load_page(filters)
    if filters.get("status") and filters["status"] not in DELIVERY_STATUSES:
        raise ValidationFailed("unknown status", {"status": [
            "Use pending, sending, sent or failed."]})
    with db.unit_of_work(read_only=True) as uow:
        total, rows = NotifyRepository(uow).deliveries_page(
            filters.get("status") or None, paging["page"], paging["page_size"])
    return {"items": DeliverySchema(many=True).dump(rows), "total": total, **paging}


def retry_delivery(db, principal, delivery_id) -> dict:
    require(load_principal(principal), "manage_notifications")
    try:
        key = int(delivery_id)
    except (TypeError, ValueError):
        raise NotFound(f"no delivery {delivery_id}") from None
    with db.unit_of_work() as uow:
        repo = NotifyRepository(uow)
        row = repo.delivery(key)
        if row is None:
            raise NotFound(f"no delivery {delivery_id}")
        if row["status"] != "failed":
            raise Conflict("only failed deliveries are retried by hand; "
                           f"this one is {row['status']}")
        repo.change_delivery(key, dict(status="pending", attempts=0, next_attempt_at=utcnow(),
                                       last_error=None))
        row = repo.delivery(key)
        uow.commit()
    return DeliverySchema().dump(row)


def webhook_body(event: dict) -> str:
    return json.dumps(event, ensure_ascii=False, sort_keys=True,
                      default=lambda v: v.isoformat() if hasattr(v, "isoformat") else str(v))
