"""履职档案: a member's or officer's record over a period (a term, 十五届, or any years)
for mid-term and end-of-term evaluation: each year's quota and what was submitted,
adopted, taken up above and instructed, the points, and every report they are credited
on with what became of it. For one person, or for all members and officers at once."""
from datetime import date

from minyi_common import officetime, words
from minyi_common.contracts import load_principal, require
from minyi_common.db import decode_json
from minyi_common.errors import NotFound, ValidationFailed

from .. import domain
from ..adapters import record_files
from ..adapters.repository import ScoringRepository
from .bulletins import file_answer
from .quotas import quotas_owed
from .standings import may_see_person

FIGURES = ("submitted", "adopted", "upstream_adopted", "instructions", "points")


def _period(period: str | None) -> tuple:
    period = period or officetime.current_term()
    start, end = domain.period_range(period)
    return period, start, end


def _years(repo, start: date, end: date, keep) -> dict:
    """person id -> [{year, quota, submitted, met}] for each year of the period."""
    found = {}
    for year in range(start.year, end.year + 1):
        for row in quotas_owed(repo, year, date(year, 12, 31), keep):
            found.setdefault(row["person_id"], []).append({
                "year": year, "quota": row["quota"], "submitted": row["submitted"],
                "met": row["submitted"] >= row["quota"]})
    return found


def _report_line(row, person_id: str) -> dict:
    decision = decode_json(row.decision) or {}
    outcomes = sorted((decode_json(row.outcomes) or {}).values(), key=lambda o: o["date"])
    return {"report_id": row.report_id, "title": row.title,
            "submitted_on": row.submitted_on.isoformat(),
            "credit": "author" if row.author_id == person_id else "co_author",
            "status": row.status, "status_words": words.STATUSES.get(row.status, row.status),
            "decided_on": decision.get("on"),
            "outcomes": [f"{words.date_words(o['date'])} {words.LEVELS.get(o['level'], '')}"
                         f"{words.OUTCOMES.get(o['kind'], o['kind'])}"
                         + (f"（{o['leader']}）" if o.get("leader") else "") for o in outcomes]}


def person_record(db, principal, person_id: str, period: str | None) -> dict:
    principal = load_principal(principal)
    period, start, end = _period(period)
    with db.unit_of_work(read_only=True) as uow:
        repo = ScoringRepository(uow)
        if not may_see_person(repo, principal, person_id):
            raise NotFound(f"no scores for {person_id} that you may see")
        person = repo.person_row(person_id)
        if person is None:
            raise NotFound(f"no scores for {person_id} that you may see")
        lines = repo.lines_of_subject("person", person_id, start, end)
        report_ids = sorted({l["report_id"] for l in lines if l["event"] != domain.ADJUSTMENT})
        records = repo.records(report_ids) if report_ids else {}
        years = _years(repo, start, end, lambda pid, _units: pid == person_id).get(person_id, [])
        units = repo.units_by_id()
    totals = dict.fromkeys(FIGURES, 0)
    for line in lines:
        totals["points"] += float(line["points"])
        figure = domain.COUNTED.get(line["event"])  # an adjustment counts points only
        if figure:
            totals[figure] += 1
    reports = sorted((_report_line(r, person_id) for r in records.values()),
                     key=lambda r: r["submitted_on"])
    return {"person_id": person_id, "name": person.display_name,
            "unit_names": [units[u].name for u in decode_json(person.unit_ids) or []
                           if u in units],
            "period": period, "period_words": words.period_words(period),
            "from": start.isoformat(), "to": end.isoformat(), "years": years,
            "totals": {**totals, "points": round(totals["points"], 2)}, "reports": reports}


def everyone(db, principal, period: str | None) -> dict:
    """Every active member and officer in one table, for the office's evaluation."""
    principal = load_principal(principal)
    require(principal, "see_every_score")
    period, start, end = _period(period)
    with db.unit_of_work(read_only=True) as uow:
        repo = ScoringRepository(uow)
        years = _years(repo, start, end, None)
        figures = {r["id"]: r for r in repo.ranked("person", period)[0]}
        units = repo.units_by_id()
        people = repo.people_rows(list(years))
    rows = []
    for person_id, per_year in years.items():
        person, figure = people.get(person_id), figures.get(person_id, {})
        rows.append({"person_id": person_id, "name": person.display_name if person else "",
                     "roles": [r for r, flag in (("member", person.is_member),
                                                 ("officer", person.is_officer)) if flag]
                     if person else [],
                     "unit_names": [units[u].name for u in decode_json(person.unit_ids) or []
                                    if u in units] if person else [],
                     "years": per_year,
                     **{f: figure.get(f, 0) for f in FIGURES}})
    rows.sort(key=lambda r: (-r["points"], r["name"]))
    return {"period": period, "period_words": words.period_words(period),
            "from": start.isoformat(), "to": end.isoformat(), "items": rows,
            "total": len(rows)}


def as_file(data: dict, file_format: str, one_person: bool, office_name: str) -> dict:
    allowed = ("xlsx", "docx") if one_person else ("xlsx",)
    if file_format not in allowed:
        raise ValidationFailed("unknown format", {"format": [
            "Use json, xlsx or docx." if one_person else "Use json or xlsx."]})
    if one_person:
        content = (record_files.person_xlsx(data) if file_format == "xlsx"
                   else record_files.person_docx(office_name, data, officetime.today()))
        name = f"{data['name']}履职档案（{data['period_words']}）"
    else:
        content = record_files.everyone_xlsx(data)
        name = f"委员和信息员履职情况（{data['period_words']}）"
    return file_answer(name, file_format, content)
