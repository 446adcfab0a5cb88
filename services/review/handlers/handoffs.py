"""Hand-offs (转办, docs/handoffs.md): an editor hands a report to a town office or a
government department with a due date; the unit's admins reply (办复) with how far the
matter is solved, and files; the author rates the reply. Reminders go out before the due
date and once it is overdue. Each change is one guarded write with its event."""
import uuid
from datetime import timedelta

from minyi_common import events, officetime, words
from minyi_common.contracts import (AttachmentClaim, AttachmentSchema, HandoffInput, HandoffListFilters,
                                    HandoffRatingInput, HandoffReplyInput, HandoffSchema, RemindersInput,
                                    has_role, load_contract, load_principal, may, require,
                                    reusable)
from minyi_common.db import utcnow
from minyi_common.errors import Conflict, Forbidden, NotFound, ValidationFailed

from .. import domain
from ..adapters.repository import ReviewRepository
from .outcome_files import FIELDS as FILE_FIELDS

REMIND_DAYS_BEFORE = 3
MAX_FILES = 10


def handable(case: dict) -> bool:
    """What an editor may hand over: an adopted report, or a local matter (rejected as
    local_matter, usually with the hand-off in the same step)."""
    decision = case.get("decision") or {}
    return case["status"] == "adopted" or (
        case["status"] == "rejected" and decision.get("reason_code") == "local_matter")


def receiving_unit(repo, unit_id, named=lambda problem: {"unit_id": [problem]}) -> dict:
    """The unit a hand-off goes to: a town office or a government department.
    ``named(problem)`` says which field of the request a refusal names."""
    unit = repo.unit(unit_id)
    if unit is None:
        raise ValidationFailed("some fields are invalid", named("No such unit."))
    if unit["kind"] not in words.HANDOFF_UNIT_KINDS:
        raise ValidationFailed("some fields are invalid", named(
            "Only a town office (乡镇街道) or a government department takes a hand-off."))
    return unit


def hand_off(repo, principal, case, data, unit=None) -> dict:
    """Hand ``case`` to ``data['unit_id']`` (``unit``, when the caller checked it
    already) inside the caller's unit of work."""
    if not handable(case):
        raise Conflict("only an adopted report, or one rejected as a local matter, can be "
                       f"handed to a unit; this one is {case['status']}")
    unit = unit or receiving_unit(repo, data["unit_id"])
    row = {"id": str(uuid.uuid4()), "report_id": case["report_id"], "unit_id": unit["id"],
           "unit_name": unit["name"], "due_on": data["due_on"], "note": data.get("note"),
           "created_by": principal["id"], "created_at": utcnow(), "version": 1,
           "reminded_due_soon": False, "reminded_overdue": False,
           **dict.fromkeys(("reply_text", "resolution", "replied_by", "replied_at", "rating",
                            "rating_comment", "rated_by", "rated_at"))}
    if not repo.add_handoff(row):
        raise Conflict(f"this report has already been handed to {unit['name']}")
    repo.add_history(dict(report_id=case["report_id"], at=row["created_at"],
                          actor_id=principal["id"], action="handed_off",
                          comment=_handoff_line(row)))
    repo.emit(_event("handoff_created", principal["id"], case, row))
    return row


def create(db, principal, report_id, payload) -> dict:
    principal = domain.as_editor(principal)
    data = load_contract(HandoffInput, payload)
    with db.unit_of_work() as uow:
        repo = ReviewRepository(uow)
        case = repo.case(report_id, for_update=True)
        if case is None:
            raise NotFound(f"no report {report_id} in review")
        row = hand_off(repo, principal, case, data)
        uow.commit()
    return _dump(row, case, [])


def listed(db, principal, filters) -> dict:
    """Editors see every hand-off; a unit admin those of their units."""
    principal = load_principal(principal)
    query = load_contract(HandoffListFilters, {k: v for k, v in (filters or {}).items()
                                               if v not in (None, "")})
    require(principal, "see_handoffs")
    if not may(principal, "see_every_report"):
        query["unit_ids"] = principal["unit_ids"]
    today = officetime.today()
    with db.unit_of_work(read_only=True) as uow:
        repo = ReviewRepository(uow)
        total, rows = repo.handoffs_page(query, today, query["page"], query["page_size"])
        files = _files_by_handoff(repo, [r["id"] for r in rows])
    return {"items": [_dump(r, r, files.get(r["id"], [])) for r in rows], "total": total,
            "page": query["page"], "page_size": query["page_size"]}


def of_report(db, principal, report_id) -> dict:
    """A report's hand-offs, for whoever may see the report (its author rates them)."""
    principal = load_principal(principal)
    with db.unit_of_work(read_only=True) as uow:
        repo = ReviewRepository(uow)
        case = repo.case(report_id)
        rows = repo.handoffs_of(report_id) if case else []
        if case is None or not (domain.may_see(principal, case) or any(
                _of_my_unit(principal, r) for r in rows)):
            raise NotFound(f"no report {report_id}")
        if not domain.may_see(principal, case):
            rows = [r for r in rows if _of_my_unit(principal, r)]
        answers = with_files(repo, case, rows)
    return {"items": answers}


def reply(db, principal, handoff_id, payload) -> dict:
    """办复: the unit's admins (or an editor entering a reply that came on paper) say
    what was done and how far the matter is solved. A later reply replaces an earlier
    one (in progress, then resolved) until the author has rated it."""
    principal = load_principal(principal)
    data = load_contract(HandoffReplyInput, payload)
    with db.unit_of_work() as uow:
        repo = ReviewRepository(uow)
        row, case = _handoff_for_answering(repo, principal, handoff_id)
        answer = _write(repo, principal, row, case, "handoff_replied", {
            "reply_text": data["text"], "resolution": data["resolution"],
            "replied_by": principal["id"], "replied_at": utcnow()},
            words.RESOLUTIONS[data["resolution"]])
        uow.commit()
    return answer


def rate(db, principal, handoff_id, payload) -> dict:
    """The author says what they think of the reply (满意度), once."""
    principal = load_principal(principal)
    data = load_contract(HandoffRatingInput, payload)
    with db.unit_of_work() as uow:
        repo = ReviewRepository(uow)
        row = repo.handoff(handoff_id)
        case = repo.case(row["report_id"]) if row else None
        if case is None or not domain.may_see(principal, case):
            raise NotFound(f"no hand-off {handoff_id}")
        if principal["id"] != case["author_id"]:
            raise Forbidden("only the report's author rates the reply")
        if row["replied_at"] is None:
            raise Conflict("the unit has not replied yet; a reply is rated once it comes")
        if row["rated_at"] is not None:
            raise Conflict("this reply has already been rated")
        answer = _write(repo, principal, row, case, "handoff_rated", {
            "rating": data["rating"], "rating_comment": data.get("comment"),
            "rated_by": principal["id"], "rated_at": utcnow()}, words.RATINGS[data["rating"]])
        uow.commit()
    return answer


def add_file(db, principal, handoff_id, blob) -> dict:
    """A file on the reply (办复件), by whoever may answer the hand-off."""
    principal = load_principal(principal)
    blob = load_contract(AttachmentClaim, blob)
    with db.unit_of_work() as uow:
        repo = ReviewRepository(uow)
        row, _case = _handoff_for_answering(repo, principal, handoff_id)
        if len(repo.handoff_files([handoff_id])) >= MAX_FILES:
            raise ValidationFailed("too many files", {"file": [
                f"A reply carries at most {MAX_FILES} files."]})
        found = {**blob, "id": str(uuid.uuid4()), "handoff_id": handoff_id,
                 "uploaded_by": principal["id"], "created_at": utcnow()}
        repo.add_handoff_file(found)
        uow.commit()
    return _dump_file(found)


def file_to_send(db, principal, handoff_id, attachment_id) -> dict:
    principal = load_principal(principal)
    with db.unit_of_work(read_only=True) as uow:
        repo = ReviewRepository(uow)
        row = repo.handoff(handoff_id)
        case = repo.case(row["report_id"]) if row else None
        if case is None or not (domain.may_see(principal, case) or _of_my_unit(principal, row)):
            raise NotFound(f"no file {attachment_id}")
        found = [f for f in repo.handoff_files([handoff_id]) if f["id"] == attachment_id]
    if not found:
        raise NotFound(f"no file {attachment_id}")
    return {**_dump_file(found[0]), "key": found[0]["key"]}


def send_reminders_now(db, principal, payload) -> int:
    """An editor's run of the hourly reminders, on the office day they name."""
    domain.as_editor(principal)
    on = load_contract(RemindersInput, payload or {}).get("on")
    return send_reminders(db, on or officetime.today())


def send_reminders(db, today) -> int:
    """Remind the receiving units of hand-offs due within three days, and of those past
    their due date, each reminder once however many instances tick."""
    soon_from = today + timedelta(days=REMIND_DAYS_BEFORE)
    sent = 0
    with db.unit_of_work() as uow:
        repo = ReviewRepository(uow)
        for row in repo.handoffs_to_remind(today, soon_from):
            reminder = "overdue" if row["due_on"] < today else "due_soon"
            if not repo.mark_reminded(row["id"], reminder):
                continue
            case = repo.case(row["report_id"])
            repo.emit(_event("handoff_reminder_due", None, case, row, reminder=reminder))
            sent += 1
        uow.commit()
    return sent


# --- helpers ---------------------------------------------------------------------------
def _of_my_unit(principal, row) -> bool:
    return has_role(principal, "unit_admin") and row["unit_id"] in principal["unit_ids"]


def _handoff_for_answering(repo, principal, handoff_id):
    row = repo.handoff(handoff_id)
    editor = may(principal, "review")
    if row is None or not (editor or _of_my_unit(principal, row)):
        raise NotFound(f"no hand-off {handoff_id}")
    if row["rated_at"] is not None:
        raise Conflict("the author has rated this reply; it can no longer change")
    return row, repo.case(row["report_id"])


def _write(repo, principal, row, case, event_type, values, said) -> dict:
    """One reply or rating: the guarded update, its history line and its event; the
    hand-off as it now stands."""
    if not repo.change_handoff_at_version(row, values):
        raise Conflict("someone changed this hand-off just now; reload and retry")
    row.update(values, version=row["version"] + 1)
    repo.add_history(dict(report_id=row["report_id"], at=utcnow(), actor_id=principal["id"],
                          action=event_type, comment=f"{row['unit_name']}：{said}"))
    repo.emit(_event(event_type, principal["id"], case, row))
    return with_files(repo, case, [row])[0]


def _handoff_line(row) -> str:
    note = f"（{row['note']}）" if row.get("note") else ""
    return f"转交{row['unit_name']}办理，{row['due_on'].isoformat()}前办复{note}"


def _event(event_type, actor_id, case, row, **extra) -> dict:
    record = {k: row.get(k) for k in ("id", "unit_id", "unit_name", "note", "created_by",
                                      "resolution", "rating")}
    record["due_on"] = row["due_on"].isoformat()
    return events.new_event(event_type, actor_id, case["report_id"],
                            report=domain.record_of(case), handoff=record, **extra)


def with_files(repo, case, rows) -> list:
    """The answers of a case's hand-offs, each with the files on its reply."""
    files = _files_by_handoff(repo, [r["id"] for r in rows])
    return [_dump(r, case, files.get(r["id"], [])) for r in rows]


def _files_by_handoff(repo, handoff_ids) -> dict:
    found = {}
    for f in repo.handoff_files(handoff_ids):  # dumped with their hand-off
        found.setdefault(f["handoff_id"], []).append(
            {k: f[k] for k in FILE_FIELDS if k != "outcome_id"})
    return found


def _dump_file(row) -> dict:
    return reusable(AttachmentSchema).dump({k: row[k] for k in FILE_FIELDS
                                            if k != "outcome_id"})


def _dump(row, case, files) -> dict:
    """A hand-off as the API answers it, with the text the unit reads: the office's
    edit where there is one."""
    edited = case.get("edited") or {}
    text = {k: edited.get(k) or case[k] for k in ("title", "situation", "analysis",
                                                   "suggestions")}
    reply = None if row["replied_at"] is None else {
        "text": row["reply_text"], "resolution": row["resolution"], "by": row["replied_by"],
        "at": row["replied_at"]}
    rating = None if row["rated_at"] is None else {
        "rating": row["rating"], "comment": row["rating_comment"], "by": row["rated_by"],
        "at": row["rated_at"]}
    overdue = reply is None and row["due_on"] < officetime.today()
    return reusable(HandoffSchema).dump({
        **{k: row[k] for k in ("id", "report_id", "unit_id", "unit_name", "due_on", "note",
                               "created_by", "created_at")},
        "overdue": overdue, "reply": reply, "rating": rating, "files": files,
        "report": {**text, "category": case["category"], "status": case["status"]}})
