"""Bulletins (通报) of a period, as data and as files, their publication, and the award
lists of a range of years."""
import base64

from minyi_common import events, officetime, words
from minyi_common.contracts import load_principal, may, require
from minyi_common.errors import Conflict, NotFound, ValidationFailed
from minyi_common.gcpause import collector_paused

from .. import domain
from ..adapters import award_files, bulletin_document, bulletin_files
from ..adapters.repository import ScoringRepository


def _office_figures(repo, period: str) -> dict:
    """Reports submitted and adopted, upstream adoptions and instructions in a period,
    counted once per report (the author's line), not per co-author or unit."""
    start, end = domain.period_range(period)
    counts = repo.office_counts(start, end, domain.COUNTED)
    return {figure: counts.get(event, 0) for event, figure in domain.COUNTED.items()}


def list_bulletins(db, principal) -> dict:
    """The published bulletins, newest first: what members and unit admins may read."""
    load_principal(principal)
    with db.unit_of_work(read_only=True) as uow:
        rows = ScoringRepository(uow).bulletins_newest_first()
    return {"items": [{"period": r.period, "period_words": words.period_words(r.period),
                       "title": f"社情民意信息工作通报（{words.period_words(r.period)}）",
                       "published_at": r.published_at.isoformat()} for r in rows],
            "total": len(rows)}


@collector_paused()
def bulletin(db, principal, period) -> dict:
    principal = load_principal(principal)
    start, end = domain.period_range(period)
    previous = domain.previous_period(period)
    with db.unit_of_work(read_only=True) as uow:
        repo = ScoringRepository(uow)
        unit_rows = repo.everyone_ranked("unit", period)
        everyone = repo.everyone_ranked("person", period)
        summary = _office_figures(repo, period)
        handoff_figures = repo.handoff_counts(start, end)
        topic_figures = repo.topic_counts(start, end)
        before = _office_figures(repo, previous) if previous else None
        unit_info = repo.units_by_id()
        published = repo.bulletin(period)
    if published is None and not may(principal, "publish_bulletins"):
        # Before 发布 a bulletin is the office's draft: members read published ones
        # (docs/scoring.md).
        raise NotFound(f"the bulletin for {period} is not published")
    # The rows are this call's own: changed in place, their unit names made once per
    # list of units (a province's 100,000 members share a few thousand).
    names_of, officer_rows, member_rows = {}, [], []
    for row in everyone:
        unit_ids = row.pop("unit_ids")
        key = tuple(unit_ids)
        if key not in names_of:
            names_of[key] = [unit_info[u].name for u in unit_ids if u in unit_info]
        row["unit_names"] = names_of[key]
        if row.pop("is_officer"):
            officer_rows.append(row)
        if row.pop("is_member"):
            member_rows.append(row)
    person_rows = everyone
    officers, members = domain.rerank(officer_rows), domain.rerank(member_rows)
    groups = [{"kind": kind, "kind_name": name,
               "rows": domain.rerank(r for r in unit_rows if r["kind"] == kind)}
              for kind, name in words.UNIT_KINDS.items() if kind not in words.NOT_A_REPORT_UNIT]
    return {"period": period, "period_words": words.period_words(period),
            "from": start.isoformat(), "to": end.isoformat(),
            "title": f"社情民意信息工作通报（{words.period_words(period)}）",
            "published_at": published.published_at.isoformat() if published else None,
            "summary": summary, "previous_period": previous, "previous": before,
            "handoffs": handoff_figures, "topics": topic_figures,
            "units": unit_rows, "unit_groups": [g for g in groups if g["rows"]],
            "officers": officers, "members": members, "people": person_rows}


CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def file_answer(name: str, file_format: str, content: bytes) -> dict:
    """A produced file as the gateway sends it: ``name``.``file_format``, typed, in base64."""
    return {"filename": f"{name}.{file_format}", "content_type": CONTENT_TYPES[file_format],
            "content_base64": base64.b64encode(content).decode("ascii")}


@collector_paused()
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
    return file_answer(f"社情民意信息工作通报（{data['period_words']}）", file_format, content)


def publish_bulletin(db, principal, period) -> dict:
    principal = load_principal(principal)
    require(principal, "publish_bulletins")
    domain.period_range(period)
    with db.unit_of_work() as uow:
        repo = ScoringRepository(uow)
        if repo.bulletin(period):
            raise Conflict(f"the bulletin for {period} is published already")
        repo.add_bulletin(period, principal["id"])
        repo.emit(events.new_event("bulletin_published", principal["id"], period=period,
                                   url=f"/bulletins/{period}"))  # the web app's page
        uow.commit()
    return bulletin(db, principal, period)


@collector_paused()
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
        repo = ScoringRepository(uow)
        unit_rows = [r for r in repo.ranked("unit", period)[0] if r["points"] > 0]
        officers = [r for r in repo.ranked("person", period, "officer")[0]
                    if r["adopted"] >= min_adoptions and r["points"] > 0][:top]
        # An author who did not consent to publication (是否同意公开) is not named in a
        # list that is published: the report is credited to the editorial office.
        notable = repo.notable_records(start, end)
        names = repo.display_names([r.author_id for r in notable if r.consent_to_publish])
        reports = [{"report_id": r.report_id, "title": r.title,
                    "author_id": r.author_id if r.consent_to_publish else None,
                    "author_name": names.get(r.author_id) if r.consent_to_publish else None,
                    "credit": None if r.consent_to_publish else words.EDITORIAL_OFFICE}
                   for r in notable]
        unit_info, person_units = repo.units_by_id(), repo.unit_ids_of_everyone()
    for row in officers:
        row["unit_names"] = [unit_info[u].name for u in person_units.get(row["id"], [])
                             if u in unit_info]
    tiered, position = [], 0
    for name, count in zip(award_files.TIERS, tiers):
        for row in unit_rows[position:position + count]:
            tiered.append({**row, "award": name})
        position += count
    return {"period": period, "period_words": words.period_words(period),
            "advanced_units": tiered, "excellent_officers": officers,
            "excellent_reports": reports}


@collector_paused()
def awards_file(db, settings, principal, filters, file_format) -> dict:
    """The award list as a decision (docx, the national layout) or a workbook (xlsx)."""
    load_principal(principal)
    if file_format not in ("xlsx", "docx"):
        raise ValidationFailed("unknown format", {"format": ["Use json, xlsx or docx."]})
    data = awards(db, principal, filters)
    content = (award_files.to_xlsx(data) if file_format == "xlsx"
               else award_files.render(settings.office_name, data, officetime.today()))
    return file_answer(f"社情民意信息工作表彰名单（{data['period_words']}）", file_format, content)
