"""What editors read: the queue, oldest and urgent first, and one case, each with its
similarity hints."""
from minyi_common.contracts import CaseSchema, load_page
from minyi_common.errors import NotFound, ValidationFailed

from .. import domain
from ..adapters.repository import ReviewRepository
from . import handoffs

SHOWN_HINTS = 5


def queue(db, principal, filters) -> dict:
    """Pending reports, oldest first, each with the reports most like it."""
    domain.as_editor(principal)
    filters = dict(filters or {})
    paging = load_page(filters)
    wanted = filters.get("status")
    if wanted and wanted not in domain.PENDING:
        raise ValidationFailed("not a pending status", {"status": [
            f"The queue holds {' and '.join(domain.PENDING)} reports."]})
    days = domain.load_input("queue_days", {k: filters[k] for k in ("submitted_from",
                                                                    "submitted_to")
                                            if filters.get(k)})
    filters["urgent"] = str(filters.get("urgent", "")).lower() in ("1", "true", "yes")
    with db.unit_of_work(read_only=True) as uow:
        repo = ReviewRepository(uow)
        # Urgent items (苗头性、预警性) first, then oldest first (docs/office.md).
        total, items = repo.pending([wanted] if wanted else domain.PENDING, filters, days,
                                    paging["page"], paging["page_size"])
        hints = _hints_for(repo, [i["report_id"] for i in items])
    for item in items:
        item["similar"] = hints.get(item["report_id"], [])
    return {"items": CaseSchema(many=True).dump(items), "total": total, **paging}


def get_case(db, principal, report_id) -> dict:
    """One case as the editor's desk shows it: text, edit, status, history, similar."""
    domain.as_editor(principal)
    with db.unit_of_work(read_only=True) as uow:
        repo = ReviewRepository(uow)
        case = repo.case(report_id)
        if case is None:
            raise NotFound(f"no report {report_id} in review")
        case["similar"] = _hints_for(repo, [report_id]).get(report_id, [])
        case["history"] = repo.history_of(report_id)
        handed = handoffs.with_files(repo, case, repo.handoffs_of(report_id))
    answer = CaseSchema().dump(case)
    answer["handoffs"] = [{k: v for k, v in h.items() if k != "report"} for h in handed]
    return answer


def _hints_for(repo, report_ids) -> dict:
    """The reports most like each of these, either way round: a hint is stored on the
    report that came in second, and the first one shows it as well, so which of two
    reports the editor opens (or which a busy service handled first) does not matter."""
    if not report_ids:
        return {}
    found = {}
    for row in repo.hints_for(report_ids):
        best = found.setdefault(row.mine, {})
        if row.theirs not in best or best[row.theirs]["score"] < row.score:
            best[row.theirs] = {"report_id": row.theirs, "title": row.title,
                                "status": row.status, "score": row.score}
    return {mine: sorted(best.values(), key=lambda h: (-h["score"], h["report_id"]))
            [:SHOWN_HINTS] for mine, best in found.items()}
