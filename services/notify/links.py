"""Links between Minyi installs (报送 between levels, docs/federation.md), notify's part:
the links and their sealed secrets; what goes down each link (a forwarded piece up, what
became of a received piece back down), written in the same transaction as the event
that caused it and sent by a loop that claims one message at a time with a lease, keeps
one in flight per piece, retries with backoff for as long as it takes and parks what the
other side refuses; and what comes in, checked and applied once."""
import json
import logging
import random
import uuid
from datetime import timedelta

from marshmallow import ValidationError

from minyi_common import events, officetime
from minyi_common.contracts import (DecisionMessage, LinkInput, LinkSchema, Links,
                                    PieceMessage, load_contract, load_principal, require,
                                    reusable)
from minyi_common.db import utcnow
from minyi_common.errors import Conflict, NotFound, Unauthorized, ValidationFailed

from . import delivery
from .adapters import addresses, sealing
from .adapters.links import LinkRepository

log = logging.getLogger(__name__)
MAX_DELAY = 300.0  # the longest wait between two tries of a message
LEASE = timedelta(seconds=30)
# The other side refuses what it will never accept: retrying would not help.
PARKED_ANSWERS = (400, 401, 403, 404, 409, 413, 422)
# A message answered with a time outside this many seconds of ours is refused.
TOLERANCE = 300
# What the upper office did with a report that came by a link, by review's event.
DECISIONS = {"report_adopted": "adopted", "report_retained": "retained",
             "report_rejected": "rejected", "report_forwarded": "outcome",
             "report_outcome_recorded": "outcome"}


# --- admins: the links -------------------------------------------------------------------
def create_link(db, principal, payload, box, unit_id=None) -> dict:
    """A link to an upper or lower office; a lower one's unit is made by the gateway."""
    principal = load_principal(principal)
    require(principal, "manage_federation")
    data = load_contract(LinkInput, payload)
    if data["direction"] == "lower" and not unit_id:
        raise ValueError("a lower office's link needs its unit")
    try:
        addresses.check(data["url"], data["allow_private"])
    except addresses.Forbidden as refused:
        log.warning("refused a link to %s: %s", data["url"], refused)
        raise ValidationFailed("some fields are invalid", {"url": [
            "The address must be a public one on the internet, or allow_private must be "
            "set for an intranet."]}) from None
    row = {**data, "id": str(uuid.uuid4()), "url": data["url"].rstrip("/"),
           "secret": box.seal(data["secret"]), "unit_id": unit_id,
           "created_by": principal["id"], "created_at": utcnow()}
    with db.unit_of_work() as uow:
        if not LinkRepository(uow).add_link(row):
            raise Conflict("a link with this key_id exists already")
        uow.commit()
    return _dump({**row, "waiting": 0, "parked": 0, "last_success_at": None,
                  "last_error": None})


def list_links(db, principal) -> dict:
    require(load_principal(principal), "see_links")
    with db.unit_of_work(read_only=True) as uow:
        rows = LinkRepository(uow).links_with_state()
    return reusable(Links).dump({"items": rows})


def retry_parked(db, principal, link_id) -> dict:
    """An admin sends a link's parked messages again, once the other side is put right
    (its key set, a piece it lost re-created); the link as it now stands."""
    require(load_principal(principal), "manage_federation")
    with db.unit_of_work() as uow:
        repo = LinkRepository(uow)
        if not isinstance(link_id, str) or repo.link(link_id) is None:
            raise NotFound(f"no link {link_id}")
        repo.unpark(link_id, utcnow())
        state = next(r for r in repo.links_with_state() if r["id"] == link_id)
        uow.commit()
    return _dump(state)


def link_to_forward_on(db, principal, link_id) -> dict:
    """The upper office an editor forwards a piece to: {id, name, level}."""
    require(load_principal(principal), "review")
    with db.unit_of_work(read_only=True) as uow:
        link = LinkRepository(uow).link(link_id) if isinstance(link_id, str) else None
    if link is None or link["direction"] != "upper":
        raise ValidationFailed("some fields are invalid", {"link_id": [
            "Not a link to an upper office."]})
    return {"id": link["id"], "name": link["name"], "level": link["level"]}


def _dump(row: dict) -> dict:
    return reusable(LinkSchema).dump(row)


# --- what goes down a link ---------------------------------------------------------------
def queue_for_links(uow, settings, event) -> bool:
    """Inside notify's handling of an event: a forwarded piece goes up its link, and
    what this office did with a report that came by a link goes back down it. True when
    a message was queued (the link loop has work)."""
    repo = LinkRepository(uow)
    kind = event["event_type"]
    if kind == "piece_forwarded":
        repo.add_forwarded(event["piece_id"], event["link_id"], utcnow())
        _queue(repo, settings, event["link_id"], event["piece_id"], 1,
               {**event["message"], "type": "piece", "piece_id": event["piece_id"]},
               event["event_id"])
        return True
    if kind not in DECISIONS:
        return False
    taken = repo.take_seq(event["report_id"])
    if taken is None:
        return False  # a report of this office's own people
    link_id, remote_piece_id, seq = taken
    message = {"type": "decision", "piece_id": remote_piece_id, "decision": DECISIONS[kind],
               "comment": event.get("comment")}
    if kind == "report_adopted":
        message.update(mode=event["mode"], date=_iso(event["decided_on"]))
    elif DECISIONS[kind] == "outcome":
        outcome = {k: _iso(v) for k, v in event["outcome"].items() if k != "id"}
        message.update(outcome=outcome, date=outcome["date"], comment=None)
    else:
        message["date"] = officetime.office_date(event["occurred_at"]).isoformat()
    _queue(repo, settings, link_id, remote_piece_id, seq, message, event["event_id"])
    return True


def _queue(repo, settings, link_id, piece_key, seq, message, event_id) -> None:
    # The id is the event's and the link's: the same event handled twice is one message.
    message_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"minyi:{event_id}:{link_id}"))
    body = {**message, "id": message_id, "seq": seq, "office": settings.office_name,
            "level": settings.level}
    now = utcnow()
    repo.add_message({"id": message_id, "link_id": link_id, "piece_key": piece_key,
                      "seq": seq, "body": json.dumps(body, ensure_ascii=False, sort_keys=True),
                      "status": "pending", "attempts": 0, "next_attempt_at": now,
                      "created_at": now})


def _iso(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def backoff(attempts: int, base: float, rng=random.random) -> float:
    """Seconds before the next try: base × 2^(attempts−1) with ±50 % jitter, at most five
    minutes; a link down for a week is tried every five minutes all week."""
    return min(MAX_DELAY, base * 2 ** (attempts - 1) * (0.5 + rng()))


def dispatch_once(db, send, base_delay: float) -> bool:
    """One round of the link loop: claim one due message, send it, record how it went.
    True when there may be more due now. ``send(link, message)`` raises
    ``senders.Rejected`` for an answer that is not 2xx, anything else for a network fault."""
    from .adapters.senders import Rejected, describe
    now = utcnow()
    with db.unit_of_work() as uow:
        repo = LinkRepository(uow)
        row = repo.claim_due(now, now + LEASE)
        link = repo.link(row["link_id"]) if row else None
        uow.commit()
    if row is None:
        return False
    row["locked_until"] = now + LEASE
    attempts = row["attempts"] + 1
    try:
        send(link, row)
        values = {"status": "sent", "sent_at": utcnow(), "last_error": None}
    except Rejected as refused:
        log.warning("link %s refused message %s: %s", link["name"], row["id"], refused.status)
        values = {"last_error": describe(refused)}
        if refused.status in PARKED_ANSWERS:
            values["status"] = "parked"
        else:
            values.update(status="pending", next_attempt_at=utcnow() + timedelta(
                seconds=backoff(attempts, base_delay)))
    except Exception as exc:  # a network fault, a timeout: tried again later
        log.warning("link %s: message %s not sent: %r", link["name"], row["id"], exc)
        values = {"status": "pending", "last_error": describe(exc),
                  "next_attempt_at": utcnow() + timedelta(seconds=backoff(attempts,
                                                                          base_delay))}
    values["attempts"] = attempts

    def record():
        with db.unit_of_work() as uow:
            LinkRepository(uow).change_claimed(row, values)
            uow.commit()
    delivery.record_while_leased(record, row["locked_until"])
    return True


def link_sender(settings, box):
    """What the loop sends each message with: signed with the link's secret, to the
    address checked now (unless the link may reach a private one)."""
    from .adapters.senders import Rejected, post_pinned, signature

    def send(link, row):
        url = f"{link['url']}/api/v1/federation/inbound"
        pinned = addresses.check(url, link["allow_private"])
        body = row["body"].encode("utf-8")
        answer = post_pinned(url, body, pinned, timeout=settings.delivery_deadline, headers={
            "Content-Type": "application/json", "User-Agent": "Minyi-Links/1",
            "X-Minyi-Link": link["key_id"],
            "X-Minyi-Signature": signature(box.open(link["secret"]), body)})
        if not 200 <= answer.status_code < 300:
            raise Rejected(answer.status_code)
    return send


# --- what comes in -------------------------------------------------------------------------
def receive(db, box, key_id, signature_header, body: bytes) -> dict:
    """A message from another install: checked (link, signature and time, a type that
    fits the link), applied once (an id seen before changes nothing), and turned into an
    event for intake (a piece from a lower office) or review (what an upper office did)."""
    from .adapters.senders import verify
    with db.unit_of_work() as uow:
        repo = LinkRepository(uow)
        link = repo.link_by_key(key_id) if isinstance(key_id, str) else None
        if link is None:
            raise Unauthorized("unknown link")
        try:
            secret = box.open(link["secret"])
        except sealing.Unreadable:
            log.error("the secret of link %s cannot be opened (MINYI_DATA_KEY changed?)",
                      link["name"])
            raise Unauthorized("the message's signature does not check") from None
        if not verify(secret, signature_header or "", body, TOLERANCE):
            raise Unauthorized("the message's signature does not check")
        message = _parse(link, body)
        if not repo.note_received(str(message["id"]), link["id"], utcnow()):
            return {"status": "duplicate"}
        if message["type"] == "piece":
            report_id = repo.add_received(link["id"], message["piece_id"], str(uuid.uuid4()))
            uow.emit(events.new_event(
                "link_piece_received", None, report_id, link_id=link["id"],
                unit_id=link["unit_id"], new_report_id=report_id,
                message=_plain(message)))
        else:
            if repo.forwarded_on(message["piece_id"]) != link["id"]:
                raise NotFound(f"no piece {message['piece_id']} went up this link")
            uow.emit(events.new_event(
                "link_decision_received", None, None, piece_id=message["piece_id"],
                link_id=link["id"], link_name=link["name"], link_level=link["level"],
                message=_plain(message)))
        uow.commit()
    return {"status": "accepted"}


def _parse(link, body: bytes) -> dict:
    """The message as its contract says, of the type this link's direction carries: a
    lower office sends pieces up, an upper office sends decisions down."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise ValidationFailed("the body is not valid JSON: not a message",
                               {"_body": ["Not a JSON object."]}) from None
    if not isinstance(data, dict):
        raise ValidationFailed("the body must be a JSON object", {"_body": ["Not an object."]})
    wanted = "piece" if link["direction"] == "lower" else "decision"
    if data.get("type") != wanted:
        raise Unauthorized("this link does not carry that kind of message")
    schema = PieceMessage if wanted == "piece" else DecisionMessage
    try:
        return reusable(schema).load(data)
    except ValidationError as exc:
        raise ValidationFailed("some fields are invalid", exc.messages) from None


def _plain(message: dict) -> dict:
    return json.loads(json.dumps(message, default=lambda v: v.isoformat()
                                 if hasattr(v, "isoformat") else str(v)))
