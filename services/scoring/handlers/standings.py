"""Reading the scores: standings of people and units for a period, and one person's or
one unit's lines and totals."""
from decimal import Decimal

from minyi_common import officetime
from minyi_common.contracts import (QUOTA_ROLES, LineSchema, has_role, load_page, load_principal,
                                    may)
from minyi_common.errors import NotFound, ValidationFailed

from .. import domain
from ..adapters.repository import ScoringRepository
from .adjustments import key_of


def _kind(value) -> str:
    if value not in ("person", "unit"):
        raise ValidationFailed("kind is person or unit", {"kind": ["Use person or unit."]})
    return value


def standings(db, principal, filters) -> dict:
    load_principal(principal)
    filters = dict(filters or {})
    paging = load_page(filters)
    period = filters.get("period") or domain.current_quarter(officetime.today())
    domain.period_range(period)
    kind = _kind(filters.get("kind", "person"))
    role = filters.get("role")
    if role not in (None, "", *QUOTA_ROLES):
        raise ValidationFailed("role is member or officer", {"role": ["Use member or officer."]})
    with db.unit_of_work(read_only=True) as uow:
        rows, total = ScoringRepository(uow).ranked(
            kind, period, role or None, paging["page_size"],
            (paging["page"] - 1) * paging["page_size"])
    return {"period": period, "kind": kind, "items": rows, "total": total, **paging}


def may_see_person(repo, principal, person_id) -> bool:
    if principal["id"] == person_id or may(principal, "see_every_score"):
        return True
    if not has_role(principal, "unit_admin"):
        return False
    return bool(set(repo.unit_ids_of(person_id) or []) & set(principal["unit_ids"]))


def _scores(repo, kind: str, subject_id: str, period: str) -> dict:
    """A subject's score lines in a period, with their total; each with its key, an
    adjustment's reason, and (a person's) latest appeal of it."""
    start, end = domain.period_range(period)
    rows = repo.lines_of_subject(kind, subject_id, start, end)
    reasons = repo.adjustment_reasons([r["report_id"] for r in rows
                                       if r["event"] == domain.ADJUSTMENT])
    appealed = repo.latest_appeals(subject_id) if kind == "person" else {}
    for row in rows:
        row["key"] = key_of(row)
        row["reason"] = reasons.get(row["report_id"])
        row["appeal"] = appealed.get(row["key"])
    total = sum((Decimal(str(r["points"])) for r in rows), Decimal(0))
    return {f"{kind}_id": subject_id, "period": period, "from": start.isoformat(),
            "to": end.isoformat(), "points": float(total),
            "lines": LineSchema(many=True).dump(rows)}


def person_scores(db, principal, person_id, period=None) -> dict:
    """Visible to the person, their unit's admins and editors (others get a 404)."""
    principal = load_principal(principal)
    period = period or domain.current_quarter(officetime.today())
    domain.period_range(period)
    with db.unit_of_work(read_only=True) as uow:
        repo = ScoringRepository(uow)
        if not may_see_person(repo, principal, person_id):
            raise NotFound(f"no scores for {person_id} that you may see")
        return _scores(repo, "person", person_id, period)


def unit_scores(db, principal, unit_id, period=None) -> dict:
    """Visible to the unit's admins and editors (others get a 404)."""
    principal = load_principal(principal)
    if not (may(principal, "see_every_score") or (has_role(principal, "unit_admin")
                                            and unit_id in principal["unit_ids"])):
        raise NotFound(f"no scores for unit {unit_id} that you may see")
    period = period or domain.current_quarter(officetime.today())
    domain.period_range(period)
    with db.unit_of_work(read_only=True) as uow:
        repo = ScoringRepository(uow)
        if not repo.has_unit(unit_id):
            raise NotFound(f"no unit {unit_id}")
        return _scores(repo, "unit", unit_id, period)
