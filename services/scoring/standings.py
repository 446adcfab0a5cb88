"""Reading the scores: standings, unit totals, quotas and reminders, bulletins, awards."""
import base64
import math
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, func, insert, literal, or_, select

from minyi_common import events, officetime, words
from minyi_common.contracts import (QUOTA_ROLES, LineSchema, QuotaInput, has_role, load_contract,
                                    load_page, load_principal, may, require)
from minyi_common.db import decode_json, utcnow
from minyi_common.errors import Conflict, NotFound, ValidationFailed

from . import domain
from .adapters import bulletin_document, bulletin_files
from .adapters.orm import (bulletins, people, quarter_totals, quota_reminders, quotas,
                           report_records, score_lines, units)

DEFAULT_QUOTAS = {"member": 4, "officer": 6}


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


# --- quotas ----------------------------------------------------------------------------
def ensure_default_quotas(db) -> None:
    with db.unit_of_work() as uow:
        for role, count in DEFAULT_QUOTAS.items():
            if not uow.execute(select(quotas.c.count).where(quotas.c.role == role,
                                                            quotas.c.year == 0)).first():
                uow.execute(insert(quotas).values(role=role, year=0, count=count))
        uow.commit()


def set_quota(db, principal, payload) -> dict:
    require(load_principal(principal), "manage_scoring")
    data = load_contract(QuotaInput, payload)
    year = data.get("year") or 0
    with db.unit_of_work() as uow:
        uow.execute(quotas.delete().where(quotas.c.role == data["role"], quotas.c.year == year))
        uow.execute(insert(quotas).values(role=data["role"], year=year, count=data["count"]))
        uow.commit()
    return {"role": data["role"], "year": year or None, "count": data["count"]}


def _quota_table(uow, year: int) -> dict:
    found = {}
    for row in uow.execute(select(quotas).where(quotas.c.year.in_([0, year]))
                           .order_by(quotas.c.year)):
        found[row.role] = row.count  # the year's own figure overrides the default
    return found


def _owed(uow, year: int, upto: date, person_filter=None) -> list:
    per_role = _quota_table(uow, year)
    submitted = (select(report_records.c.author_id.label("sid"), func.count().label("n"))
                 .where(report_records.c.submitted_on.between(date(year, 1, 1), upto),
                        report_records.c.status != "withdrawn")
                 .group_by(report_records.c.author_id).subquery())
    query = (select(people.c.id, people.c.display_name, people.c.is_member, people.c.is_officer,
                    people.c.unit_ids, func.coalesce(submitted.c.n, 0).label("submitted"))
             .select_from(people.outerjoin(submitted, submitted.c.sid == people.c.id))
             .where(people.c.active.is_(True),
                    or_(people.c.is_member.is_(True), people.c.is_officer.is_(True)))
             .order_by(people.c.display_name, people.c.id))
    rows = []
    for row in uow.execute(query):
        unit_ids = decode_json(row.unit_ids)
        if person_filter and not person_filter(row.id, unit_ids):
            continue
        roles = [r for r, flag in (("member", row.is_member), ("officer", row.is_officer)) if flag]
        quota = max(per_role.get(r, 0) for r in roles)
        rows.append({"person_id": row.id, "name": row.display_name, "roles": roles,
                     "unit_ids": unit_ids, "quota": quota, "submitted": row.submitted,
                     "owed": max(0, quota - row.submitted)})
    return rows


def quota(db, principal, year=None) -> dict:
    principal = load_principal(principal)
    try:
        year = int(year or officetime.today().year)
        if not 2000 <= year <= 2999:
            raise ValueError
    except (TypeError, ValueError):
        raise ValidationFailed("invalid year", {"year": ["A year such as 2026."]}) from None
    if may(principal, "see_every_score"):
        keep = None
    elif has_role(principal, "unit_admin"):
        mine = set(principal["unit_ids"])
        keep = lambda person_id, unit_ids: bool(mine & set(unit_ids))  # noqa: E731
    else:
        # A member or officer sees their own progress (the desk's 进度).
        keep = lambda person_id, unit_ids: person_id == principal["id"]  # noqa: E731
    with db.unit_of_work(read_only=True) as uow:
        items = _owed(uow, year, date(year, 12, 31), keep)
    return {"year": year, "items": items, "total": len(items)}


def send_quota_reminders(db, today: date) -> int:
    """In the last month of a quarter, tell each member or officer who is behind the
    share of the yearly quota due by the quarter's end; once per person per quarter."""
    if today.month % 3 != 0:
        return 0
    quarter = domain.current_quarter(today)
    share = (today.month // 3) / 4
    sent = 0
    with db.unit_of_work() as uow:
        reminded = {r.person_id for r in uow.execute(
            select(quota_reminders.c.person_id).where(quota_reminders.c.quarter == quarter))}
        for row in _owed(uow, today.year, today):
            due = math.ceil(row["quota"] * share)
            owed = due - row["submitted"]
            if owed <= 0 or row["person_id"] in reminded:
                continue
            uow.execute(insert(quota_reminders).values(person_id=row["person_id"],
                                                       quarter=quarter, sent_at=utcnow()))
            uow.emit(events.new_event("quota_reminder_due", None, person_id=row["person_id"],
                                      quarter=quarter, quota=row["quota"],
                                      submitted=row["submitted"], owed=owed))
            sent += 1
        uow.commit()
    return sent


# --- bulletins and awards -----------------------------------------------------------------
def _reranked(rows) -> list:
    """Rows already in order of points, ranked among themselves (ties share a rank)."""
    ranked, previous = [], None
    for position, row in enumerate(rows, start=1):
        rank = ranked[-1]["rank"] if previous == row["points"] else position
        ranked.append({**row, "rank": rank})
        previous = row["points"]
    return ranked


def _office_figures(uow, period: str) -> dict:
    """Reports submitted and adopted, upstream adoptions and instructions in a period,
    counted once per report (the author's line), not per co-author or unit."""
    start, end = domain.period_range(period)
    counts = dict(uow.execute(
        select(score_lines.c.event, func.count()).where(
            score_lines.c.role == "author", score_lines.c.event.in_(tuple(domain.COUNTED)),
            score_lines.c.event_date >= start, score_lines.c.event_date <= end)
        .group_by(score_lines.c.event)).all())
    return {figure: counts.get(event, 0) for event, figure in domain.COUNTED.items()}


def list_bulletins(db, principal) -> dict:
    """The published bulletins, newest first: what members and unit admins may read."""
    load_principal(principal)
    with db.unit_of_work(read_only=True) as uow:
        rows = uow.execute(select(bulletins).order_by(bulletins.c.published_at.desc())).all()
    return {"items": [{"period": r.period, "period_words": words.period_words(r.period),
                       "title": f"社情民意信息工作通报（{words.period_words(r.period)}）",
                       "published_at": r.published_at.isoformat()} for r in rows],
            "total": len(rows)}


def bulletin(db, principal, period) -> dict:
    principal = load_principal(principal)
    start, end = domain.period_range(period)
    previous = domain.previous_period(period)
    with db.unit_of_work(read_only=True) as uow:
        unit_rows, _ = ranked_rows(uow, "unit", period)
        person_rows, _ = ranked_rows(uow, "person", period)
        officers, _ = ranked_rows(uow, "person", period, "officer")
        members, _ = ranked_rows(uow, "person", period, "member")
        summary = _office_figures(uow, period)
        before = _office_figures(uow, previous) if previous else None
        unit_info = {r.id: r for r in uow.execute(select(units.c.id, units.c.name, units.c.kind))}
        person_units = {r.id: decode_json(r.unit_ids) or [] for r in uow.execute(
            select(people.c.id, people.c.unit_ids))}
        published = uow.execute(select(bulletins).where(bulletins.c.period == period)).first()
    if published is None and not may(principal, "publish_bulletins"):
        # Before 发布 a bulletin is the office's draft: members read published ones
        # (docs/scoring.md).
        raise NotFound(f"the bulletin for {period} is not published")
    for row in unit_rows:
        row["kind"] = unit_info[row["id"]].kind if row["id"] in unit_info else "other"
    for rows in (person_rows, officers, members):
        for row in rows:
            row["unit_names"] = [unit_info[u].name for u in person_units.get(row["id"], [])
                                 if u in unit_info]
    groups = [{"kind": kind, "kind_name": name,
               "rows": _reranked([r for r in unit_rows if r["kind"] == kind])}
              for kind, name in words.UNIT_KINDS.items()]
    return {"period": period, "period_words": words.period_words(period),
            "from": start.isoformat(), "to": end.isoformat(),
            "title": f"社情民意信息工作通报（{words.period_words(period)}）",
            "published_at": published.published_at.isoformat() if published else None,
            "summary": summary, "previous_period": previous, "previous": before,
            "units": unit_rows, "unit_groups": [g for g in groups if g["rows"]],
            "officers": officers, "members": members, "people": person_rows}


CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def bulletin_file(db, settings, principal, period, file_format) -> dict:
    load_principal(principal)  # who asks, before anything else
    if not isinstance(file_format, str) or file_format not in CONTENT_TYPES:
        raise ValidationFailed("unknown format", {"format": ["Use json, csv, xlsx or docx."]})
    data = bulletin(db, principal, period)
    if file_format == "csv":
        content = bulletin_files.to_csv(data)
    elif file_format == "xlsx":
        content = bulletin_files.to_xlsx(data)
    else:
        content = bulletin_document.render(settings.office_name, words.PLACES[settings.level],
                                           data, officetime.today())
    return {"filename": f"社情民意信息工作通报（{data['period_words']}）.{file_format}",
            "content_type": CONTENT_TYPES[file_format],
            "content_base64": base64.b64encode(content).decode("ascii")}


def publish_bulletin(db, principal, period) -> dict:
    principal = load_principal(principal)
    require(principal, "publish_bulletins")
    domain.period_range(period)
    with db.unit_of_work() as uow:
        if uow.execute(select(bulletins).where(bulletins.c.period == period)).first():
            raise Conflict(f"the bulletin for {period} is published already")
        uow.execute(insert(bulletins).values(period=period, published_at=utcnow(),
                                             published_by=principal["id"]))
        uow.emit(events.new_event("bulletin_published", principal["id"], period=period,
                                  url=f"/bulletins/{period}"))  # the web app's page
        uow.commit()
    return bulletin(db, principal, period)


def awards(db, principal, filters) -> dict:
    """先进单位 by points in tiers, 优秀信息员 (top officers with enough adoptions),
    优秀社情民意信息 (a national adoption, or an instruction at province level or above)."""
    load_principal(principal)
    filters = dict(filters or {})
    period = filters.get("period") or str(officetime.today().year)
    start, end = domain.period_range(period)
    try:
        tiers = [int(n) for n in str(filters.get("tiers", "3,5,7")).split(",")]
        top = int(filters.get("top", 10))
        min_adoptions = int(filters.get("min_adoptions", 2))
        if len(tiers) != 3 or min(tiers + [top, min_adoptions]) < 0:
            raise ValueError
    except ValueError:
        raise ValidationFailed("invalid thresholds", {"tiers": [
            "tiers=3,5,7 (一二三等奖 counts), top=10, min_adoptions=2: whole numbers."]}) from None
    with db.unit_of_work(read_only=True) as uow:
        unit_rows = [r for r in ranked_rows(uow, "unit", period)[0] if r["points"] > 0]
        officers = [r for r in ranked_rows(uow, "person", period, "officer")[0]
                    if r["adopted"] >= min_adoptions and r["points"] > 0][:top]
        notable = (select(score_lines.c.report_id).distinct()
                   .where(score_lines.c.event_date.between(start, end),
                          or_(and_(score_lines.c.event == "upstream_adopted",
                                   score_lines.c.level == "national"),
                              and_(score_lines.c.event == "instructed",
                                   score_lines.c.level.in_(["province", "national"])))))
        # An author who did not consent to publication (是否同意公开) is not named in a
        # list that is published: the report is credited to the editorial office.
        reports = [{"report_id": r.report_id, "title": r.title,
                    "author_id": r.author_id if r.consent_to_publish else None,
                    "credit": None if r.consent_to_publish else words.EDITORIAL_OFFICE}
                   for r in uow.execute(select(report_records).where(
                       report_records.c.report_id.in_(notable))
                       .order_by(report_records.c.submitted_on))]
    names = ("一等奖", "二等奖", "三等奖")
    tiered, position = [], 0
    for name, count in zip(names, tiers):
        for row in unit_rows[position:position + count]:
            tiered.append({**row, "award": name})
        position += count
    return {"period": period, "advanced_units": tiered, "excellent_officers": officers,
            "excellent_reports": reports}
