"""What editors read: the queue, oldest and urgent first, and one case, each with its
similarity hints."""
from datetime import timedelta

from sqlalchemy import func, or_, select

from minyi_common import officetime
from minyi_common.contracts import CaseSchema, load_page
from minyi_common.errors import NotFound, ValidationFailed

from .. import domain
from ..adapters.orm import cases, history, similarity_hints

from .cases import case_from_row, load_case


def queue(db, principal, filters) -> dict:
    """Pending reports, oldest first, each with the reports most like it."""
    domain.as_editor(principal)
    filters = dict(filters or {})
    paging = load_page(filters)
    wanted = filters.get("status")
    if wanted and wanted not in domain.PENDING:
        raise ValidationFailed("not a pending status", {"status": [
            f"The queue holds {' and '.join(domain.PENDING)} reports."]})
    query = select(cases).where(cases.c.status.in_([wanted] if wanted else domain.PENDING))
    for name in ("category", "unit_id"):
        if filters.get(name):
            query = query.where(getattr(cases.c, name) == filters[name])
    if filters.get("q"):
        # The words as typed: a % or _ in them is text, not a wildcard.
        query = query.where(or_(*[column.contains(filters["q"], autoescape=True) for column in
                                  (cases.c.title, cases.c.situation, cases.c.analysis,
                                   cases.c.suggestions)]))
    if str(filters.get("urgent", "")).lower() in ("1", "true", "yes"):
        query = query.where(cases.c.urgent.is_(True))
    days = domain.load_input("queue_days", {k: filters[k] for k in ("submitted_from",
                                                                    "submitted_to")
                                            if filters.get(k)})
    if days.get("submitted_from"):
        query = query.where(cases.c.submitted_at >= officetime.start_of(days["submitted_from"]))
    if days.get("submitted_to"):
        query = query.where(cases.c.submitted_at < officetime.start_of(
            days["submitted_to"] + timedelta(days=1)))
    with db.unit_of_work(read_only=True) as uow:
        total = uow.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        # Urgent items (苗头性、预警性) first, then oldest first (docs/office.md).
        items = [case_from_row(r) for r in uow.execute(
            query.order_by(cases.c.urgent.desc(), cases.c.submitted_at, cases.c.report_id)
            .limit(paging["page_size"]).offset((paging["page"] - 1) * paging["page_size"]))]
        hints = _hints_for(uow, [i["report_id"] for i in items])
    for item in items:
        item["similar"] = hints.get(item["report_id"], [])
    return {"items": CaseSchema(many=True).dump(items), "total": total, **paging}


def get_case(db, principal, report_id) -> dict:
    """One case as the editor's desk shows it: text, edit, status, history, similar."""
    domain.as_editor(principal)
    with db.unit_of_work(read_only=True) as uow:
        case = load_case(uow, report_id)
        if case is None:
            raise NotFound(f"no report {report_id} in review")
        case["similar"] = _hints_for(uow, [report_id]).get(report_id, [])
        case["history"] = [dict(r._mapping) for r in uow.execute(
            select(history.c.at, history.c.actor_id, history.c.action, history.c.comment)
            .where(history.c.report_id == report_id).order_by(history.c.at, history.c.id))]
    return CaseSchema().dump(case)


SHOWN_HINTS = 5


def _hints_for(uow, report_ids) -> dict:
    """The reports most like each of these, either way round: a hint is stored on the
    report that came in second, and the first one shows it as well, so which of two
    reports the editor opens (or which a busy service handled first) does not matter."""
    if not report_ids:
        return {}
    hint, similar = similarity_hints, cases.alias("similar")
    found = {}
    for mine, theirs in ((hint.c.report_id, hint.c.similar_report_id),
                         (hint.c.similar_report_id, hint.c.report_id)):
        for row in uow.execute(
                select(mine.label("mine"), theirs.label("theirs"), hint.c.score,
                       similar.c.title, similar.c.status)
                .join(similar, similar.c.report_id == theirs)
                .where(mine.in_(report_ids))):
            best = found.setdefault(row.mine, {})
            if row.theirs not in best or best[row.theirs]["score"] < row.score:
                best[row.theirs] = {"report_id": row.theirs, "title": row.title,
                                    "status": row.status, "score": row.score}
    return {mine: sorted(best.values(), key=lambda h: (-h["score"], h["report_id"]))
            [:SHOWN_HINTS] for mine, best in found.items()}
