"""Points added or taken by hand (积分调整), and people's appeals of their own lines (申诉).

An adjustment is a row of its own and a score line beside the computed ones, written in
one transaction with the quarter totals it moves, so standings, bulletins and the check
count it as any line. An appeal names a line by its key (``domain.line_key``), which a
recomputation keeps; accepting one changes no points by itself: the fix is a corrected
decision or outcome, or an adjustment that names the appeal.
"""
import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy.exc import IntegrityError

from minyi_common import events, officetime
from minyi_common.contracts import (APPEAL_STATUSES, AdjustmentInput, AdjustmentSchema,
                                    AppealInput, AppealResolution, AppealSchema,
                                    load_contract, load_principal, may, require)
from minyi_common.db import lock, utcnow
from minyi_common.errors import Conflict, NotFound, ValidationFailed

from .. import domain
from ..adapters.repository import ScoringRepository
from .records import REBUILD_KEY

# An appeal may name any line the person has, of any period.
EVERY_DAY = (date(1900, 1, 1), date(9999, 12, 31))


def _invalid(field: str, problem: str):
    return ValidationFailed("some fields are invalid", {field: [problem]})


def add_adjustment(db, principal, payload, own_level: str) -> dict:
    principal = load_principal(principal)
    require(principal, "manage_scoring")
    data = load_contract(AdjustmentInput, payload)
    if data["on"] > officetime.today():
        raise _invalid("on", "The date cannot be in the future.")
    row = {"id": str(uuid.uuid4()), "subject_kind": data["subject_kind"],
           "subject_id": data["subject_id"], "points": data["points"],
           "reason": data["reason"].strip(), "on": data["on"], "appeal_id": data["appeal_id"],
           "created_by": principal["id"], "created_at": utcnow()}
    with db.unit_of_work() as uow:
        # Beside the event handlers (shared), never inside a rebuild's batch or retotal.
        lock(uow, REBUILD_KEY, shared=True)
        repo = ScoringRepository(uow)
        if row["subject_kind"] == "person" and not repo.is_active_person(row["subject_id"]):
            raise _invalid("subject_id", "No such person, or the account is disabled.")
        if row["subject_kind"] == "unit" and not repo.has_unit(row["subject_id"]):
            raise _invalid("subject_id", "No such unit.")
        if row["appeal_id"] and not repo.appeal_exists(row["appeal_id"]):
            raise _invalid("appeal_id", "No such appeal.")
        repo.add_adjustment(row)
        line = domain.adjustment_line(row["id"], row["subject_kind"], row["subject_id"],
                                      row["points"], row["on"], own_level)
        repo.add_lines([line])
        totals = repo.add_to_totals(domain.quarter_figures(
            [(line.subject_kind, line.subject_id, line.event, line.on, line.points)]))
        if row["subject_kind"] == "person":  # told as of any change of their points
            quarter = domain.quarter_key(row["on"])
            now = totals[("person", row["subject_id"], quarter)]
            repo.emit(events.new_event(
                "points_changed", principal["id"], None, person_id=row["subject_id"],
                period=f"{quarter // 10}-Q{quarter % 10}", points=float(now),
                previous_points=float(now - line.points)))
        uow.commit()
    return AdjustmentSchema().dump(row)


def key_of(line: dict) -> str:
    return domain.line_key(line["report_id"], line["subject_kind"], line["subject_id"],
                           line["role"], line["event"], line["level"])


def file_appeal(db, principal, payload) -> dict:
    """A person appeals one of their own lines; anyone else's is not theirs to appeal."""
    principal = load_principal(principal)
    data = load_contract(AppealInput, payload)
    with db.unit_of_work() as uow:
        repo = ScoringRepository(uow)
        line = next((line for line in repo.lines_of_subject("person", principal["id"],
                                                            *EVERY_DAY)
                     if key_of(line) == data["line_key"]), None)
        if line is None:
            raise _invalid("line_key", "Not one of your score lines.")
        if repo.has_open_appeal(data["line_key"]):
            raise Conflict("this line has an open appeal already")
        row = {"id": str(uuid.uuid4()), "line_key": data["line_key"],
               "person_id": principal["id"], "reason": data["reason"].strip(),
               "status": "open", "created_at": utcnow(),
               "line": {"report_id": line["report_id"], "event": line["event"],
                        "level": line["level"], "role": line["role"],
                        "points": float(line["points"]), "rule_version": line["rule_version"],
                        "date": line["event_date"].isoformat()}}
        repo.add_appeal(row)
        try:
            uow.commit()
        except IntegrityError:  # a second appeal racing the first: one stays open
            raise Conflict("this line has an open appeal already") from None
    return appeal(db, principal, row["id"])


def resolve_appeal(db, principal, appeal_id: str, payload) -> dict:
    principal = load_principal(principal)
    require(principal, "review")
    data = load_contract(AppealResolution, payload)
    with db.unit_of_work() as uow:
        repo = ScoringRepository(uow)
        row = repo.appeal_for_update(appeal_id)
        if row is None:
            raise NotFound(f"no appeal {appeal_id}")
        comment = data["comment"].strip()
        if row.status != "open" or not repo.close_appeal(
                appeal_id, status="accepted" if data["accepted"] else "rejected",
                comment=comment, resolved_by=principal["id"], resolved_at=utcnow()):
            raise Conflict("this appeal has been resolved already")
        line = dict(row.line)
        repo.emit(events.new_event(
            "appeal_resolved", principal["id"], line.get("report_id"), person_id=row.person_id,
            appeal_id=appeal_id, accepted=data["accepted"], comment=comment, line=line))
        uow.commit()
    return appeal(db, principal, appeal_id)


def appeal(db, principal, appeal_id: str) -> dict:
    principal = load_principal(principal)
    with db.unit_of_work(read_only=True) as uow:
        rows, _ = ScoringRepository(uow).appeals_page(
            None if may(principal, "review") else principal["id"], None, 1, 1, appeal_id)
    if not rows:
        raise NotFound(f"no appeal {appeal_id}")
    return AppealSchema().dump(rows[0]._mapping)


def list_appeals(db, principal, status: str | None, page: int, page_size: int) -> dict:
    """Editors see every appeal; anyone else their own."""
    principal = load_principal(principal)
    if status and status not in APPEAL_STATUSES:
        raise _invalid("status", "Must be one of: {choices}.".format(
            choices=", ".join(APPEAL_STATUSES)))
    with db.unit_of_work(read_only=True) as uow:
        rows, total = ScoringRepository(uow).appeals_page(
            None if may(principal, "review") else principal["id"], status or None, page,
            page_size)
    return {"items": AppealSchema(many=True).dump([r._mapping for r in rows]), "total": total,
            "page": page, "page_size": page_size}


def adjustments_drifted(db) -> list:
    """The check's part for adjustments: the ids whose line is missing or differs from
    the adjustment, and lines of adjustments that do not exist."""
    with db.unit_of_work(read_only=True) as uow:
        rows, lines = ScoringRepository(uow).adjustments_and_their_lines()
    drifted = []
    for adjustment_id in sorted(set(rows) | set(lines)):
        row, line = rows.get(adjustment_id), lines.get(adjustment_id)
        if row is None or line is None or (
                line.subject_kind, line.subject_id, Decimal(str(line.points)), line.event_date
        ) != (row.subject_kind, row.subject_id, Decimal(str(row.points)), row.on):
            drifted.append(adjustment_id)
    return drifted
