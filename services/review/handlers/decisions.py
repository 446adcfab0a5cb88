"""What editors decide: return, retain, reject, adopt (with the edited text), merge,
and the outcomes of adopted reports; each under its case's row lock, with its event."""
import uuid
from datetime import timedelta

from minyi_common import events, officetime
from minyi_common.contracts import CaseSchema
from minyi_common.db import utcnow
from minyi_common.errors import Conflict, NotFound, ValidationFailed

from .. import domain
from ..adapters.repository import ReviewRepository

from .handoffs import hand_off, receiving_unit
from .publication import attach_to_issue

# A hand-off given in the older form (a unit, no date) is due this long after.
LEGACY_HANDOFF_DAYS = 30


def _save_transition(repo, principal, case, values, event_type, comment, history_action,
                     **event_fields) -> None:
    """Write one decision: the guarded update, the history line and the event."""
    values = {**values, "updated_at": utcnow(), "version": case["version"] + 1}
    if not repo.change_case_at_version(case, values):
        raise Conflict("another editor changed this report just now; reload and retry")
    repo.add_history(dict(report_id=case["report_id"], at=values["updated_at"],
                          actor_id=principal["id"], action=history_action, comment=comment))
    repo.emit(events.new_event(event_type, principal["id"], case["report_id"],
                               report=domain.record_of(case), comment=comment,
                               **event_fields))
    case.update(values)


def _new_piece(repo, principal, mode, text: dict, source_ids, issue_id) -> dict:
    piece = {"id": str(uuid.uuid4()), "mode": mode, "source_report_ids": list(source_ids),
             "created_by": principal["id"], "created_at": utcnow(), "issue_id": None,
             "position": None, "forwarded_link_id": None, "forwarded_level": None, **text}
    repo.add_piece(piece)
    if issue_id:
        piece.update(attach_to_issue(repo, issue_id, piece["id"]))
    return piece


def _adoption_fields(settings, piece, mode, edited=None) -> dict:
    return {"mode": mode, "level": settings.level, "piece_id": piece["id"],
            "merged_into": piece["id"] if mode == "merged" else None,
            "issue_id": piece["issue_id"], "issue_label": piece.get("issue_label"),
            "edited": edited, "decided_on": officetime.today().isoformat()}


def decide(db, settings, principal, report_id, action, payload) -> dict:
    """Take one editorial decision, or record one outcome, on a report."""
    principal = domain.as_editor(principal)
    data = domain.load_input(action, payload)
    with db.unit_of_work() as uow:
        repo = ReviewRepository(uow)
        # Two outcomes recorded at once do not conflict: the second waits for the first
        # and appends to what it wrote. Two decisions do conflict: the version check of
        # _save_transition turns the later one into a 409.
        case = repo.case(report_id, for_update=action == "outcomes")
        if case is None:
            if action == "outcomes":
                answer = _outcome_on_piece(repo, settings, principal, report_id, data)
                uow.commit()
                return answer
            raise NotFound(f"no report {report_id} in review")
        if action == "outcomes":
            _record_outcome(repo, settings, principal, case, data)
        else:
            _decide(repo, settings, principal, case, action, data)
        uow.commit()
    return CaseSchema().dump(case)


def _handoff_of_rejection(repo, data) -> tuple:
    """(hand-off input, its unit) of a local matter's rejection."""
    if data.get("handoff"):
        handoff = data["handoff"]
        def named(problem): return {"handoff": {"unit_id": [problem]}}
    else:
        def named(problem): return {"handoff_unit_id": [problem]}
        handoff = {"unit_id": data["handoff_unit_id"], "note": None,
                   "due_on": officetime.today() + timedelta(days=LEGACY_HANDOFF_DAYS)}
    return handoff, receiving_unit(repo, handoff["unit_id"], named)


def _decide(repo, settings, principal, case, action, data) -> None:
    status = domain.next_status(action, case["status"])
    if action == "return" and case.get("from_office"):
        raise Conflict("a report from a lower office is not returned; retain or reject it")
    comment = data.get("comment")
    decision = {"kind": status, "by": principal["id"], "at": utcnow().isoformat(),
                "comment": comment}
    values = {"status": status, "decision": decision}
    extra = {}
    if action == "reject":
        decision["reason_code"] = extra["reason_code"] = data["reason_code"]
        if data.get("handoff") or data.get("handoff_unit_id"):
            handoff, unit = _handoff_of_rejection(repo, data)
            decision.update(handoff_unit_id=unit["id"], handoff_unit_name=unit["name"])
            extra.update(handoff_unit_id=unit["id"], handoff_unit_name=unit["name"])
    if action == "adopt":
        edited = {k: data[k] for k in ("title", "situation", "analysis", "suggestions")
                  if k in data} or None
        text = {"title": case["title"], "situation": case["situation"],
                "analysis": case["analysis"], "suggestions": case["suggestions"],
                **(edited or {})}
        piece = _new_piece(repo, principal, "single", text, [case["report_id"]],
                           data["issue_id"])
        values.update(edited=edited, piece_id=piece["id"])
        decision.update(mode="single", piece_id=piece["id"], issue_id=piece["issue_id"],
                        issue_label=piece.get("issue_label"))
        extra = _adoption_fields(settings, piece, "single", edited)
    _save_transition(repo, principal, case, values, f"report_{status}", comment, status, **extra)
    if action == "reject" and (data.get("handoff") or data.get("handoff_unit_id")):
        hand_off(repo, principal, case, handoff, unit)


def record_outcome_on_sources(repo, settings, principal, sources, data,
                              outcome_id=None) -> str:
    """One outcome on each source of a piece (locked, in one order), sharing its id."""
    outcome_id = outcome_id or str(uuid.uuid4())
    for case in sources:
        _record_outcome(repo, settings, principal, case, data, outcome_id)
    return outcome_id


def _record_outcome(repo, settings, principal, case, data, outcome_id=None) -> None:
    """One outcome on one case; its ``id`` is shared by the sources of a merged piece
    (files such as the scanned 批示件 hang on it)."""
    domain.check_outcome(case["status"], data, settings.level)
    if principal["id"] is not None and case.get("piece_id"):
        piece = repo.piece(case["piece_id"])
        if piece and piece["forwarded_level"] and domain.at_or_above(
                data["level"], piece["forwarded_level"]):
            raise Conflict("this piece went up a link: outcomes at or above that level come "
                           "by the link")
    outcome = {k: v for k, v in data.items() if v is not None}
    outcome["id"] = outcome_id or str(uuid.uuid4())
    outcome.update(date=data["date"].isoformat(), recorded_by=principal["id"],
                   recorded_at=utcnow().isoformat())
    event_type = "report_forwarded" if data["kind"] == "forwarded" else "report_outcome_recorded"
    published = {k: v for k, v in outcome.items() if k not in ("recorded_by", "recorded_at")}
    _save_transition(repo, principal, case, {"outcomes": case["outcomes"] + [outcome]},
                     event_type, data.get("text"), data["kind"], outcome=published)


def _outcome_on_piece(repo, settings, principal, piece_id, data) -> dict:
    """An outcome of a merged piece is an outcome of every report merged into it."""
    piece = repo.piece(piece_id)
    if piece is None:
        raise NotFound(f"no report or piece {piece_id} in review")
    sources = [repo.case(report_id, for_update=True)  # one lock order for all
               for report_id in sorted(piece["source_report_ids"])]
    outcome_id = record_outcome_on_sources(repo, settings, principal, sources, data)
    return {"piece_id": piece_id, "outcome_id": outcome_id,
            "reports": CaseSchema(many=True).dump(sources)}


def merge(db, settings, principal, payload) -> dict:
    """综合采用: 2+ pending reports become one published piece, each adopted (merged)."""
    principal = domain.as_editor(principal)
    data = domain.load_merge(payload)
    with db.unit_of_work() as uow:
        repo = ReviewRepository(uow)
        sources = []
        for report_id in data["report_ids"]:
            case = repo.case(report_id)
            if case is None:
                raise ValidationFailed("unknown reports", {"report_ids": [
                    f"No report {report_id} in review."]})
            domain.next_status("adopt", case["status"])  # 409 unless each may be adopted
            sources.append(case)
        text = {"title": data["title"], "analysis": data["analysis"],
                "suggestions": data["suggestions"],
                "situation": data.get("situation") or "\n".join(c["situation"] for c in sources)}
        piece = _new_piece(repo, principal, "merged", text, data["report_ids"], data["issue_id"])
        for case in sources:
            decision = {"kind": "adopted", "by": principal["id"], "at": utcnow().isoformat(),
                        "comment": data.get("comment"), "mode": "merged",
                        "piece_id": piece["id"], "merged_into": piece["id"],
                        "issue_id": piece["issue_id"], "issue_label": piece.get("issue_label")}
            _save_transition(repo, principal, case, {"status": "adopted", "decision": decision,
                                                    "piece_id": piece["id"]},
                             "report_adopted", f"综合采用：{data['title']}", "adopted",
                             **_adoption_fields(settings, piece, "merged"))
        uow.commit()
    piece["created_at"] = piece["created_at"].isoformat()
    return piece
