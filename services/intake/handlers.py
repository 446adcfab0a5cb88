"""Intake's use cases. Each takes the ``Database`` and plain data and returns plain
data; the nameko service class only wires them to RPC and events."""
import logging
import uuid
from datetime import timedelta

from minyi_common import events, officetime
from minyi_common.contracts import (AttachmentClaim, AttachmentSchema, ReportSchema,
                                    load_contract, load_page, load_principal,
                                    load_report_input, may, reusable)
from minyi_common.db import DirectoryCopy, Every, handle_each, lock, utcnow
from minyi_common.errors import (Conflict, DomainError, NotFound, ServiceUnavailable,
                                 ValidationFailed)
from minyi_common.outages import what_is_away

from . import domain
from .adapters.office import OfficeRepository
from .adapters.orm import people, units
from .adapters.repository import IntakeRepository

log = logging.getLogger(__name__)

IDEMPOTENCY_KEY_LIFETIME = timedelta(hours=24)
# Keys a day old are forgotten now and then, not by a DELETE in every submit's transaction.
_key_pruning_due = Every(60.0)


def _record(report: dict) -> dict:
    """The report as events carry it (events.ReportRecord)."""
    received_on = report.get("received_on")
    return {k: report[k] for k in ("id", "author_id", "co_author_ids", "unit_id", "title",
                                   "category", "situation", "analysis", "suggestions",
                                   "consent_to_publish", "urgent")} | {
        "submitted_at": report["submitted_at"].isoformat(),
        "entered_by": report.get("entered_by"),
        "received_on": received_on.isoformat() if received_on else None,
        "from_office": report.get("from_office"), "credited": report.get("credited"),
        "topic_id": report.get("topic_id"), "topic_title": report.get("topic_title")}


def _check_asks(uow, data: dict, author_id: str, author_unit_ids, report=None):
    """The topic and the commission a report names (docs/office-voice.md); a report
    answering a commission on a topic carries that topic unless it names one. Answers the
    topic's title, for the report's events."""
    office = OfficeRepository(uow)
    commission = office.commission(data.get("commission_id"))
    if commission and commission["topic_id"] and not data.get("topic_id"):
        data["topic_id"] = commission["topic_id"]
    topic = office.topic(data.get("topic_id"))
    domain.check_topic_and_commission(data, author_id, author_unit_ids,
                                      domain.counting_year(data, report), topic, commission)
    return topic["title"] if topic else None


def _prepare(principal, payload) -> tuple:
    """What a submission says, checked without the database: (principal, fields, hash)."""
    principal = load_principal(principal)
    data = load_report_input(payload)
    domain.may_enter(principal, data)
    return principal, data, domain.body_hash(data)


def create_report(db, principal, payload, idempotency_key=None) -> dict:
    principal, data, digest = _prepare(principal, payload)
    with db.unit_of_work() as uow:
        answer = _create_in(uow, principal, data, digest, idempotency_key)
        uow.commit()
    return answer


def create_reports(db, submissions: list) -> list:
    """Many submissions (each [principal, payload, idempotency key]) answered as each
    would be alone, in order: each answer as ``create_report``'s, or the error it met.

    Under a burst the gateway gathers concurrent submissions into one call: one
    transaction and one commit for all of them instead of one each. A submission its
    fields or its author's rights refuse fails alone before any is stored. If the shared
    transaction fails (the directory refuses one, a key is reused with another body),
    nothing of it stays and each submission is stored again in a transaction of its own,
    so that only the refused one fails.
    """
    answers: list = [None] * len(submissions)
    ready = []
    for at, (principal, payload, key) in enumerate(submissions):
        try:
            ready.append((at, *_prepare(principal, payload), key))
        except DomainError as refused:
            answers[at] = refused
    # Keys are taken in one order: two batches that share one (a client retrying through
    # two gateways) wait for each other instead of deadlocking.
    ready.sort(key=lambda each: (each[1]["id"], each[4] or ""))
    try:
        with db.unit_of_work() as uow:
            done = _create_all_in(uow, ready)
            uow.commit()
    except Exception as failed:
        if len(ready) == 1:  # alone already
            answers[ready[0][0]] = _answerable(failed)
        else:
            for at, *submission in ready:
                answers[at] = _alone(db, *submission)
        return answers
    for at, answer in done:
        answers[at] = answer
    return answers


def _alone(db, principal, data, digest, key):
    """One submission of a batch that failed, in a transaction of its own."""
    try:
        with db.unit_of_work() as uow:
            answer = _create_in(uow, principal, data, digest, key)
            uow.commit()
        return answer
    except Exception as failed:
        return _answerable(failed)


def _answerable(failed: Exception) -> Exception:
    """The error a submission's caller is told."""
    if isinstance(failed, DomainError):
        return failed
    if what_is_away(failed) == "the database":
        return ServiceUnavailable("the database is not answering")
    log.error("a submission failed", exc_info=failed)
    return failed


def _create_in(uow, principal: dict, data: dict, digest: str, idempotency_key) -> dict:
    """Store one submission in ``uow`` (not committed): {"created", "report"}."""
    report_id = str(uuid.uuid4())
    repo = IntakeRepository(uow)
    if idempotency_key:
        _forget_old_keys(repo)
        # The key is taken first, for this new report: the same request on another
        # connection (two clicks) waits here until this one ends, then finds the key
        # and answers as this one did.
        seen = repo.take_key(principal["id"], idempotency_key, digest, report_id)
        if seen is not None:
            return _replayed(repo, seen, digest)
    new = _new_report(uow, repo, principal, data, report_id)
    return _created(repo, new, repo.add(*new[:4]))


def _forget_old_keys(repo) -> None:
    if _key_pruning_due():
        repo.forget_keys_before(utcnow() - IDEMPOTENCY_KEY_LIFETIME)


class _StoreAlone(Exception):
    """What a gathered batch leaves to the one-by-one path: one key twice in the batch
    (the second is then a replay), or a key whose first request rolled back while this
    batch waited for it."""


def _create_all_in(uow, ready: list) -> list:
    """``_create_in`` for a gathered batch (each (at, principal, data, digest, key)), in
    one statement per table instead of one per submission: [(at, answer or the error it
    met)]. A key used by a request that committed before is answered as that request was
    (or refused, alone); any other refusal raises, and the caller stores each submission
    alone."""
    keys = [(each[1]["id"], each[4]) for each in ready if each[4]]
    if len(set(keys)) < len(keys):
        raise _StoreAlone("one key twice in a batch")
    repo = IntakeRepository(uow)
    if keys:
        _forget_old_keys(repo)
    report_ids = [str(uuid.uuid4()) for _ in ready]
    taken = repo.take_keys([(principal["id"], key, digest, report_id) for
                            (_, principal, _, digest, key), report_id in zip(ready, report_ids)
                            if key])
    done, new = [], []
    for (at, principal, data, digest, key), report_id in zip(ready, report_ids):
        if key and (principal["id"], key) not in taken:  # used before: the first answer
            seen = repo.key_row(principal["id"], key)
            if seen is None:
                raise _StoreAlone("a key's first request rolled back")
            try:
                done.append((at, _replayed(repo, seen, digest)))
            except Conflict as refused:  # nothing of it is written: refused alone
                done.append((at, refused))
        else:
            new.append((at, _new_report(uow, repo, principal, data, report_id)))
    stored = repo.add_many([each[:4] for _, each in new])
    done += [(at, _created(repo, each, row)) for (at, each), row in zip(new, stored)]
    return done


def _replayed(repo, seen, digest) -> dict:
    """The answer to a request whose key was used before: the first answer again."""
    if seen.body_hash != digest:
        raise Conflict("this Idempotency-Key was used with a different body")
    return {"created": False, "report": reusable(ReportSchema).dump(
        repo.get(seen.report_id, with_history=True))}


def _new_report(uow, repo, principal, data, report_id) -> tuple:
    """A submission checked against the directory and what the office asks for, as it
    will be stored (nothing is written here): (report, first history action, actor,
    event, topic title, whether entered for its author, when)."""
    author = data.get("on_behalf_of")
    author_id = domain.author_of_entry(principal, data, author and repo.person(author))
    on_behalf = author_id != principal["id"]
    author_units = repo.person_unit_ids(author_id) if on_behalf else principal["unit_ids"]
    domain.check_against_directory(author_id, data,
                                   repo.known_people(data["co_author_ids"]),
                                   author_units,
                                   unit_kind=repo.unit_kind(data.get("unit_id")))
    topic_title = _check_asks(uow, data, author_id, author_units)
    now = utcnow()
    fields = {k: v for k, v in data.items() if k not in ("draft", "on_behalf_of")}
    status = "draft" if data["draft"] else "submitted"
    report = {**fields, "id": report_id, "author_id": author_id,
              "entered_by": principal["id"] if on_behalf else None,
              "received_on": (data["received_on"] or officetime.today()) if on_behalf
              else None,
              "status": status, "decision": None,
              "outcomes": [], "created_at": now, "updated_at": now, "status_at": now,
              "submitted_at": None if data["draft"] else now}
    submitted = None if data["draft"] else events.new_event(
        "report_submitted", principal["id"], report["id"],
        report=_record({**report, "topic_title": topic_title}))
    # The history says who typed it in (由 王编辑 代录), then what became of it.
    first = "entered_on_behalf" if on_behalf else status if status != "draft" else "created"
    return report, first, principal["id"], submitted, topic_title, on_behalf, now


def _created(repo, new: tuple, created: dict) -> dict:
    """The answer for a report ``repo`` just stored (``created``, as ``add`` answers)."""
    report, _, actor_id, _, topic_title, on_behalf, now = new
    created["topic_title"] = topic_title
    if on_behalf and report["status"] != "draft":
        repo.add_history(report["id"], report["status"], actor_id, now)
        created["history"].append({"at": now, "actor_id": actor_id,
                                   "action": report["status"], "comment": None})
    return {"created": True, "report": reusable(ReportSchema).dump(created)}


def update_report(db, principal, report_id, payload) -> dict:
    principal = load_principal(principal)
    data = load_report_input(payload)
    data.pop("draft")
    with db.unit_of_work() as uow:
        repo = IntakeRepository(uow)
        _lock(uow, report_id)
        report = _visible(repo, principal, report_id)
        domain.check_editable(report, principal)
        for name in ("on_behalf_of", "received_on"):
            if data.pop(name) is not None:  # the author of record stays who it was
                raise ValidationFailed("some fields are invalid", {name: [
                    "Set only when a report is first entered."]})
        author_units = principal["unit_ids"] if report["author_id"] == principal["id"] \
            else repo.person_unit_ids(report["author_id"])
        domain.check_against_directory(report["author_id"], data,
                                       repo.known_people(data["co_author_ids"]),
                                       author_units, repo.declined(report_id),
                                       unit_kind=repo.unit_kind(data.get("unit_id")))
        _check_asks(uow, data, report["author_id"], author_units, report)
        repo.update(report_id, **data)
        repo.add_history(report_id, "edited", principal["id"])
        uow.commit()
    return get_report(db, principal, report_id)


def submit_report(db, principal, report_id) -> dict:
    principal = load_principal(principal)
    with db.unit_of_work() as uow:
        repo = IntakeRepository(uow)
        _lock(uow, report_id)
        report = _visible(repo, principal, report_id)
        domain.check_editable(report, principal)
        status = domain.status_after_submit(report["status"])
        now = utcnow()
        repo.update(report_id, status=status, submitted_at=now, status_at=now)
        repo.add_history(report_id, status, principal["id"], now)
        report = repo.get(report_id)
        uow.emit(events.new_event(f"report_{status}", principal["id"], report_id,
                                  report=_record(report)))
        uow.commit()
    return get_report(db, principal, report_id)


def withdraw_report(db, principal, report_id) -> dict:
    principal = load_principal(principal)
    with db.unit_of_work() as uow:
        repo = IntakeRepository(uow)
        _lock(uow, report_id)
        report = _visible(repo, principal, report_id)
        domain.check_withdrawable(report, principal)
        now = utcnow()
        repo.update(report_id, status="withdrawn", status_at=now)
        repo.add_history(report_id, "withdrawn", principal["id"], now)
        uow.emit(events.new_event("report_withdrawn", principal["id"], report_id,
                                  report=_record(report)))
        uow.commit()
    return get_report(db, principal, report_id)


def decline_co_authorship(db, principal, report_id) -> dict:
    """退出联名: a co-author leaves a report not yet decided; from now on they are not
    credited, not shown and not told of it, and cannot be named on it again."""
    principal = load_principal(principal)
    with db.unit_of_work() as uow:
        repo = IntakeRepository(uow)
        _lock(uow, report_id)
        report = _visible(repo, principal, report_id)
        domain.check_may_decline(report, principal)
        now = utcnow()
        repo.decline_co_author(report_id, principal["id"], now)
        repo.add_history(report_id, "co_author_declined", principal["id"], now)
        if report["status"] != "draft":  # a draft is nobody else's business yet
            report["co_author_ids"] = [p for p in report["co_author_ids"]
                                       if p != principal["id"]]
            person = repo.person(principal["id"])
            uow.emit(events.new_event(
                "report_co_author_declined", principal["id"], report_id,
                report=_record(report), person_id=principal["id"],
                person_name=person["display_name"] if person else None))
        uow.commit()
    return {"report_id": report_id, "declined_at": now.isoformat()}


# --- attachments: the gateway keeps the bytes, intake what they are and who has them ----
def add_attachment(db, principal, report_id, blob) -> dict:
    """Record a file the gateway stored (``blob``: key, name, size, content_type, sha256)
    on a report; refused (and the gateway drops the bytes) unless it may go there."""
    principal = load_principal(principal)
    blob = load_contract(AttachmentClaim, blob)
    with db.unit_of_work() as uow:
        repo = IntakeRepository(uow)
        _lock(uow, report_id)
        report = _visible(repo, principal, report_id)
        domain.check_may_attach(report, principal, len(repo.attachments(report_id)))
        row = {**blob, "id": str(uuid.uuid4()), "report_id": report_id,
               "uploaded_by": principal["id"], "created_at": utcnow()}
        repo.add_attachment(row)
        uow.commit()
    return reusable(AttachmentSchema).dump(row)


def list_attachments(db, principal, report_id) -> dict:
    principal = load_principal(principal)
    with db.unit_of_work(read_only=True) as uow:
        repo = IntakeRepository(uow)
        _visible(repo, principal, report_id)
        items = repo.attachments(report_id)
    return {"items": reusable(AttachmentSchema, many=True).dump(items)}


def attachment_to_send(db, principal, report_id, attachment_id) -> dict:
    """A file's record with its blob key, for whoever may see the report (404 for
    anyone else, as for an unknown file)."""
    principal = load_principal(principal)
    with db.unit_of_work(read_only=True) as uow:
        repo = IntakeRepository(uow)
        _visible(repo, principal, report_id)
        found = [a for a in repo.attachments(report_id, with_keys=True)
                 if a["id"] == attachment_id]
    if not found:
        raise NotFound(f"no file {attachment_id}")
    return {**reusable(AttachmentSchema).dump(found[0]), "key": found[0]["key"]}


def delete_attachment(db, principal, report_id, attachment_id) -> dict:
    """Take a file off a draft or returned report; answers its key, for the gateway to
    drop the bytes once this has committed."""
    principal = load_principal(principal)
    with db.unit_of_work() as uow:
        repo = IntakeRepository(uow)
        _lock(uow, report_id)
        report = _visible(repo, principal, report_id)
        found = [a for a in repo.attachments(report_id, with_keys=True)
                 if a["id"] == attachment_id]
        if not found:
            raise NotFound(f"no file {attachment_id}")
        domain.check_may_detach(report, principal)
        repo.remove_attachment(report_id, attachment_id)
        uow.commit()
    return {"id": attachment_id, "key": found[0]["key"]}


def _lock(uow, *report_ids: str) -> None:
    """One writer per report at a time: the author's commands and review's events read
    the report and write it back (docs/architecture.md). A batch of events takes its reports' locks
    in one statement."""
    lock(uow, *(f"intake:report:{report_id}" for report_id in report_ids))


def _visible(repo, principal, report_id) -> dict:
    report = repo.get(report_id, with_history=True)
    # Not-visible and unknown look the same from outside (docs/api.md: 404 for both).
    if report is None or not domain.can_see(principal, report):
        raise NotFound(f"no report {report_id}")
    return report


def get_report(db, principal, report_id) -> dict:
    principal = load_principal(principal)
    with db.unit_of_work(read_only=True) as uow:
        report = _visible(IntakeRepository(uow), principal, report_id)
    return reusable(ReportSchema).dump(report)


def list_reports(db, principal, filters) -> dict:
    principal = load_principal(principal)
    filters = dict(filters or {})
    paging = load_page(filters)
    if filters.get("period"):
        filters["between"] = domain.period_bounds(filters["period"])
    with db.unit_of_work(read_only=True) as uow:
        items, total, exact = IntakeRepository(uow).list_visible(
            principal, may(principal, "see_every_report"), filters, **paging)
    return {"items": reusable(ReportSchema, many=True, exclude=("history",)).dump(items),
            "total": total, "total_exact": exact, **paging}


# --- events ---------------------------------------------------------------------------
DIRECTORY = DirectoryCopy("intake", people, lambda person: {
    "display_name": person["display_name"], "roles": person["roles"],
    "unit_ids": person["unit_ids"], "active": person["active"]}, units)


def on_directory_events(db, *events) -> None:
    DIRECTORY.consume(db, events)


def on_link_events(db, *arrived) -> None:
    """A lower office's piece arrived by its link (docs/federation.md): it becomes a
    report in this office's queue, from that office's unit, with no author account; its
    authors are credited as the lower office names them."""
    def apply(uow, event):
        repo = IntakeRepository(uow)
        message, report_id = event["message"], event["new_report_id"]
        if repo.get(report_id) is not None:
            return
        now = utcnow()
        report = {"id": report_id, "author_id": event["unit_id"], "co_author_ids": [],
                  "unit_id": event["unit_id"], "title": message["title"],
                  "situation": message["situation"], "analysis": message["analysis"],
                  "suggestions": message["suggestions"], "category": message["category"],
                  "consent_to_publish": message["consent_to_publish"],
                  "urgent": message["urgent"], "status": "submitted", "decision": None,
                  "outcomes": [], "created_at": now, "updated_at": now, "status_at": now,
                  "submitted_at": now, "entered_by": None, "received_on": None,
                  "from_office": message["office"], "credited": message["credited"]}
        repo.add(report, "submitted", None, events.new_event(
            "report_submitted", None, report_id, report=_record(report)))
    handle_each(db, "intake", list(arrived), apply)


def on_review_events(db, *events) -> None:
    """Show authors what review decided; decisions older than the status are history."""
    def apply(uow, event):  # under its report's lock (the batch's, taken below)
        repo = IntakeRepository(uow)
        report = repo.get(event["report_id"])
        if report is None:
            raise NotFound(f"review decided on {event['report_id']}, which intake never saw")
        kind = event["event_type"]
        at = event["occurred_at"]
        if kind in domain.OUTCOME_EVENTS:
            outcome = {k: (v.isoformat() if hasattr(v, "isoformat") else v)
                       for k, v in event["outcome"].items()}
            repo.update(report["id"], outcomes=report["outcomes"] + [outcome])
            repo.add_history(report["id"], outcome["kind"], event["actor_id"], at,
                             outcome.get("text"))
            return
        status = domain.DECISION_STATUS[kind]
        decision = {"kind": status, "comment": event.get("comment"), "at": at.isoformat()}
        for name in ("mode", "issue_id", "issue_label", "piece_id", "merged_into", "edited",
                     "reason_code", "handoff_unit_id", "handoff_unit_name"):
            if event.get(name) is not None:
                decision[name] = event[name]
        repo.add_history(report["id"], status, event["actor_id"], at, event.get("comment"))
        # The newest decision wins; and review's decision wins over a withdrawal it had
        # not yet seen when it decided (review ignores withdrawals of decided reports).
        overrides_withdrawal = report["status"] == "withdrawn" and status in domain.FINAL
        if at >= report["status_at"] or overrides_withdrawal:
            repo.update(report["id"], status=status, decision=decision, status_at=at)
    handle_each(db, "intake", events, apply,
                lambda uow, batch: _lock(uow, *(event["report_id"] for event in batch)))
