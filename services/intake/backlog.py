"""Backlog import (docs/reports.md): the reports an office received before Minyi, with
their decisions and outcomes, so that every author's points and quota are right from the
first day. A dry run says what is wrong, by row and column; an import stores every row or
none; the same file again changes nothing. Imported reports score by their own dates and
rule versions (scoring learns them from ``report_imported``) and send no notices.

The gateway reads the spreadsheet and turns usernames and unit names into ids; the rows
arrive here as plain values and are checked without a framework but the content rules.
"""
import re
import uuid
from datetime import date

from marshmallow import ValidationError

from minyi_common import events, officetime, words
from minyi_common.contracts import ReportInputSchema, load_principal, may, reusable
from minyi_common.db import lock, utcnow
from minyi_common.errors import Forbidden

from .adapters.repository import IntakeRepository

# The columns of the template, in order, and the field each fills.
COLUMNS = {"标题": "title", "作者用户名": "author_id", "联名作者用户名": "co_author_ids",
           "单位": "unit_id", "类别": "category", "报送日期": "submitted_on", "情况": "situation",
           "分析": "analysis", "建议": "suggestions", "处理结果": "result",
           "采用日期": "decided_on", "成效": "outcomes"}
COLUMN_OF = {field: column for column, field in COLUMNS.items()}
RESULTS = {"已采用": ("adopted", "single"), "综合采用": ("adopted", "merged"),
           "留存": ("retained", None), "不予采用": ("rejected", None), "待审": ("submitted", None)}
CATEGORY_BY_WORD = {word: code for code, word in words.CATEGORIES.items()}
LEVEL_BY_WORD = {word: code for code, word in words.LEVELS.items()}
KIND_BY_WORD = {word: code for code, word in words.OUTCOMES.items()}
OUTCOME = re.compile(r"^\s*(" + "|".join(LEVEL_BY_WORD) + r")\s*(" + "|".join(KIND_BY_WORD)
                     + r")\s+(\d{4}-\d{1,2}-\d{1,2})\s*(.*)$")
MAX_ROWS = 5000

# Messages (English templates, translated at the edge like every other; messages.py).
M_REQUIRED = "Required."
M_DATE = "Not a valid date."
M_FUTURE = "The date cannot be in the future."
M_CHOICE = "Must be one of: {choices}."
M_OUTCOME = ("Write each outcome as 市级上级采用 2026-05-12 or 县级领导批示 2026-06-01 县长：…, "
             "separated by ；.")
M_OUTCOME_ADOPTED = "Outcomes are recorded on adopted reports."
M_DECIDED_ON = "The date of the decision cannot be before the report was sent."
M_SAME_ROW = "The same report (author, title and date) is also on row {row}."
M_DIFFERENT = "A report by this author with this title and date exists with other content."
M_NOT_IMPORTER = "only editors and admins import past reports"


def _date(value: str):
    try:
        year, month, day = (int(p) for p in value.strip().replace("/", "-").split("-"))
        return date(year, month, day)
    except (ValueError, AttributeError):
        return None


def parse_outcomes(text: str, adopted_on: date | None):
    """成效 text → outcomes, or the message of what is wrong."""
    found = []
    for part in [p for p in re.split(r"[；;]", text or "") if p.strip()]:
        match = OUTCOME.match(part)
        day = match and _date(match.group(3))
        if not match or day is None:
            return None, M_OUTCOME
        outcome = {"kind": KIND_BY_WORD[match.group(2)], "level": LEVEL_BY_WORD[match.group(1)],
                   "date": day.isoformat()}
        rest = match.group(4).strip()
        if outcome["kind"] == "instructed":
            leader, sep, said = rest.partition("：") if "：" in rest else rest.partition(":")
            if not leader.strip():
                return None, M_OUTCOME
            outcome.update(leader=leader.strip(), text=said.strip() or None)
        elif outcome["kind"] == "upstream_adopted":
            outcome["mode"] = "single"
            if rest:
                outcome["target"] = rest
        elif rest:
            outcome["target"] = rest
        found.append(outcome)
    return found, None


def check_row(values: dict, today: date):
    """One row → (report fields, errors by field)."""
    errors = {}
    report = {"author_id": values.get("author_id"), "unit_id": values.get("unit_id") or None,
              "co_author_ids": values.get("co_author_ids") or []}
    category = (values.get("category") or "").strip()
    body = {"title": (values.get("title") or "").strip(),
            "category": CATEGORY_BY_WORD.get(category, category),
            "situation": values.get("situation") or "", "analysis": values.get("analysis") or "",
            "suggestions": values.get("suggestions") or "",
            "co_author_ids": report["co_author_ids"]}
    try:
        report.update(reusable(ReportInputSchema).load(body))
    except ValidationError as exc:
        for field, messages in exc.messages.items():
            errors[field] = messages if field != "category" else [
                M_CHOICE.format(choices="、".join(words.CATEGORIES.values()))]
    submitted_on = _date(values.get("submitted_on") or "")
    if not (values.get("submitted_on") or "").strip():
        errors["submitted_on"] = [M_REQUIRED]
    elif submitted_on is None:
        errors["submitted_on"] = [M_DATE]
    elif submitted_on > today:
        errors["submitted_on"] = [M_FUTURE]
    result = (values.get("result") or "").strip() or "待审"
    if result not in RESULTS:
        errors["result"] = [M_CHOICE.format(choices="、".join(RESULTS))]
        status, mode = None, None
    else:
        status, mode = RESULTS[result]
    decided_on = None
    if status in ("adopted", "retained", "rejected"):
        decided_on = _date(values.get("decided_on") or "") if values.get("decided_on") \
            else submitted_on
        if values.get("decided_on") and decided_on is None:
            errors["decided_on"] = [M_DATE]
        elif decided_on and decided_on > today:
            errors["decided_on"] = [M_FUTURE]
        elif decided_on and submitted_on and decided_on < submitted_on:
            errors["decided_on"] = [M_DECIDED_ON]
    outcomes, problem = parse_outcomes(values.get("outcomes") or "", decided_on)
    if problem:
        errors["outcomes"] = [problem]
    elif outcomes and status != "adopted":
        errors["outcomes"] = [M_OUTCOME_ADOPTED]
    elif any(date.fromisoformat(o["date"]) > today for o in outcomes or []):
        errors["outcomes"] = [M_FUTURE]
    report.update(submitted_on=submitted_on, status=status, mode=mode, decided_on=decided_on,
                  outcomes=outcomes or [])
    return report, errors


def _same_content(existing: dict, report: dict) -> bool:
    return all(existing[k] == report[k] for k in (
        "situation", "analysis", "suggestions", "category", "unit_id", "co_author_ids",
        "status")) and len(existing["outcomes"]) == len(report["outcomes"])


def import_reports(db, principal, rows: list, dry_run: bool, errors: list) -> dict:
    """Check every row (``rows``: [{row, <field>: value}], the gateway's ``errors``
    already found); unless ``dry_run`` or any row is wrong, store them all at once."""
    principal = load_principal(principal)
    if not may(principal, "import_reports"):
        raise Forbidden(M_NOT_IMPORTER)
    today = officetime.today()
    checked, seen = [], {}
    errors = list(errors)
    failed_rows = {e["row"] for e in errors}
    with db.unit_of_work() as uow:
        if not dry_run:
            lock(uow, "intake:backlog-import")  # one import at a time
        repo = IntakeRepository(uow)
        for values in rows[:MAX_ROWS]:
            number = values["row"]
            report, problems = check_row(values, today)
            if report["author_id"] and report["unit_id"] and "unit_id" not in problems and \
                    report["unit_id"] not in repo.person_unit_ids(report["author_id"]):
                problems["unit_id"] = ["The author does not belong to this unit."]
            if report["author_id"] in report["co_author_ids"]:
                problems["co_author_ids"] = ["The author cannot be a co-author."]
            for field, messages in problems.items():
                errors += [{"row": number, "column": COLUMN_OF.get(field, field),
                            "message": m} for m in messages]
            if problems or number in failed_rows:
                continue
            key = (report["author_id"], report["title"], report["submitted_on"])
            if key in seen:
                errors.append({"row": number, "column": "标题",
                               "message": M_SAME_ROW.format(row=seen[key])})
                continue
            seen[key] = number
            existing = repo.find_same(*key)
            if existing is not None and not _same_content(existing, report):
                errors.append({"row": number, "column": "标题", "message": M_DIFFERENT})
                continue
            checked.append((number, report, existing))
        new = [(n, r) for n, r, existing in checked if existing is None]
        answer = {"rows": len(rows), "created": len(new), "unchanged": len(checked) - len(new),
                  "errors": errors, "dry_run": dry_run, "applied": False}
        if dry_run or errors:
            return answer
        now = utcnow()
        for _, report in new:
            _store(uow, repo, principal, report, now)
        uow.commit()
    return {**answer, "applied": True}


def _store(uow, repo, principal, report, now) -> None:
    submitted_at = officetime.start_of(report["submitted_on"])
    decided = report["status"] in ("adopted", "retained", "rejected")
    decision = None
    if decided:
        decision = {"kind": report["status"], "at": officetime.start_of(
            report["decided_on"]).isoformat()}
        if report["mode"]:
            decision["mode"] = report["mode"]
    stored = {"id": str(uuid.uuid4()), "author_id": report["author_id"],
              "co_author_ids": report["co_author_ids"], "unit_id": report["unit_id"],
              "title": report["title"], "situation": report["situation"],
              "analysis": report["analysis"], "suggestions": report["suggestions"],
              "category": report["category"], "consent_to_publish": True, "urgent": False,
              "status": report["status"], "decision": decision,
              "outcomes": [{**o, "recorded_at": now.isoformat()} for o in report["outcomes"]],
              "created_at": now, "updated_at": now, "submitted_at": submitted_at,
              "status_at": now, "entered_by": principal["id"], "received_on": None}
    record = {k: stored[k] for k in ("id", "author_id", "co_author_ids", "unit_id", "title",
                                     "category", "situation", "analysis", "suggestions",
                                     "consent_to_publish", "urgent")}
    record.update(submitted_at=submitted_at.isoformat(), entered_by=principal["id"])
    event = events.new_event(
        "report_imported", principal["id"], stored["id"], report=record,
        status=report["status"], mode=report["mode"],
        decided_on=report["decided_on"].isoformat() if decided else None,
        outcomes=report["outcomes"])
    repo.add(stored, "imported", principal["id"], event)
