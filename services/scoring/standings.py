"""Reading the scores: standings of people and units for a period, and one person's or
one unit's lines and totals."""
from decimal import Decimal

from sqlalchemy import and_, func, literal, or_, select

from minyi_common import officetime
from minyi_common.contracts import (QUOTA_ROLES, LineSchema, has_role, load_page, load_principal,
                                    may)
from minyi_common.db import decode_json
from minyi_common.errors import NotFound, ValidationFailed

from . import domain
from .adapters.orm import people, quarter_totals, score_lines, units


def _figures(kind: str, period: str):
    """Each subject's figures for the period, from the totals: a quarter's or a year's
    rows as they are (the common cases, and a plain join), longer periods summed."""
    keys = domain.period_keys(period)
    if len(keys) == 1:
        return (select(quarter_totals.c.subject_id.label("sid"),
                       *[getattr(quarter_totals.c, f) for f in domain.FIGURES])
                .where(quarter_totals.c.subject_kind == kind,
                       quarter_totals.c.quarter == keys[0]).subquery())
    return (select(quarter_totals.c.subject_id.label("sid"),
                   *[func.sum(getattr(quarter_totals.c, f)).label(f) for f in domain.FIGURES])
            .where(quarter_totals.c.subject_kind == kind, quarter_totals.c.quarter.in_(keys))
            .group_by(quarter_totals.c.subject_id).subquery())


def _subjects(kind: str, role: str | None):
    """Who is ranked: every unit, or every active member/officer."""
    if kind == "unit":
        return units, units.c.name, literal(True)
    who = people.c.active.is_(True)
    if role == "member":
        return people, people.c.display_name, and_(who, people.c.is_member.is_(True))
    if role == "officer":
        return people, people.c.display_name, and_(who, people.c.is_officer.is_(True))
    return people, people.c.display_name, and_(who, or_(people.c.is_member.is_(True),
                                                        people.c.is_officer.is_(True)))


def ranked_rows(uow, kind: str, period: str, role=None, limit=None, offset=0) -> tuple:
    """(rows, total): the subjects in order of points with their figures and rank (ties
    share a rank); those with nothing are there too, with zeros.

    Ranks come from a histogram of points rather than a window over every subject, so
    that a page costs a top-N sort and one small aggregate.
    """
    figures = _figures(kind, period)
    base, name, who = _subjects(kind, role)
    joined = base.outerjoin(figures, figures.c.sid == base.c.id)
    points = func.coalesce(figures.c.points, 0)
    query = (select(base.c.id, name.label("name"),
                    *[func.coalesce(getattr(figures.c, f), 0).label(f)
                      for f in domain.FIGURES[1:]], points.label("points"))
             .select_from(joined).where(who).order_by(points.desc(), name, base.c.id))
    if limit is not None:
        query = query.limit(limit).offset(offset)
    rows = [{**dict(r._mapping), "points": float(Decimal(str(r.points)))}
            for r in uow.execute(query)]
    histogram = sorted(((float(Decimal(str(p))), n) for p, n in uow.execute(
        select(points, func.count()).select_from(joined).where(who).group_by(points))),
        reverse=True)
    rank_of, above = {}, 0
    for value, count in histogram:
        rank_of[value] = above + 1
        above += count
    for row in rows:
        row["rank"] = rank_of[row["points"]]
    return rows, above


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
        rows, total = ranked_rows(uow, kind, period, role or None, paging["page_size"],
                                  (paging["page"] - 1) * paging["page_size"])
    return {"period": period, "kind": kind, "items": rows, "total": total, **paging}


def _may_see_person(uow, principal, person_id) -> bool:
    if principal["id"] == person_id or may(principal, "see_every_score"):
        return True
    if not has_role(principal, "unit_admin"):
        return False
    row = uow.execute(select(people.c.unit_ids).where(people.c.id == person_id)).first()
    return bool(row and set(decode_json(row.unit_ids)) & set(principal["unit_ids"]))


def _scores(uow, kind: str, subject_id: str, period: str) -> dict:
    """A subject's score lines in a period, with their total."""
    start, end = domain.period_range(period)
    rows = uow.execute(select(score_lines).where(
        score_lines.c.subject_kind == kind, score_lines.c.subject_id == subject_id,
        score_lines.c.event_date.between(start, end))
        .order_by(score_lines.c.event_date, score_lines.c.id)).mappings().all()
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
        if not _may_see_person(uow, principal, person_id):
            raise NotFound(f"no scores for {person_id} that you may see")
        return _scores(uow, "person", person_id, period)


def unit_scores(db, principal, unit_id, period=None) -> dict:
    """Visible to the unit's admins and editors (others get a 404)."""
    principal = load_principal(principal)
    if not (may(principal, "see_every_score") or (has_role(principal, "unit_admin")
                                            and unit_id in principal["unit_ids"])):
        raise NotFound(f"no scores for unit {unit_id} that you may see")
    period = period or domain.current_quarter(officetime.today())
    domain.period_range(period)
    with db.unit_of_work(read_only=True) as uow:
        if uow.execute(select(units.c.id).where(units.c.id == unit_id)).first() is None:
            raise NotFound(f"no unit {unit_id}")
        return _scores(uow, "unit", unit_id, period)
