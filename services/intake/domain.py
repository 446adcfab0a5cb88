"""Intake's rules, free of any framework: who may see and change a report, which
status follows which, and the checks of a report against the directory."""
import hashlib
import json
import re
from datetime import date

from minyi_common import officetime
from minyi_common.errors import Conflict, Forbidden, ValidationFailed
from minyi_common.contracts import has_role, may

EDITABLE = ("draft", "returned")
WITHDRAWABLE = ("submitted", "resubmitted", "returned")

# Review's decision events and the status each leaves a report in.
DECISION_STATUS = {
    "report_returned": "returned",
    "report_retained": "retained",
    "report_rejected": "rejected",
    "report_adopted": "adopted",
}
OUTCOME_EVENTS = ("report_forwarded", "report_outcome_recorded")
# Decisions after which an author can no longer withdraw.
FINAL = ("adopted", "retained", "rejected")


def check_against_directory(author_id: str, data: dict, known_people: set,
                            author_unit_ids: list) -> None:
    """The content rules (docs/reports.md): co-authors are existing people, not the author; the unit is the author's."""
    errors = {}
    co_authors = data.get("co_author_ids") or []
    if author_id in co_authors:
        errors["co_author_ids"] = ["The author cannot be a co-author."]
    else:
        unknown = [pid for pid in co_authors if pid not in known_people]
        if unknown:
            errors["co_author_ids"] = [f"Unknown people: {', '.join(unknown)}."]
    unit_id = data.get("unit_id")
    if unit_id is not None and unit_id not in author_unit_ids:
        errors["unit_id"] = ["The author does not belong to this unit."]
    if errors:
        raise ValidationFailed("some fields are invalid", errors)


def may_author(principal: dict) -> None:
    if not may(principal, "write_reports"):
        raise Forbidden("only members, officers and unit admins submit reports")


def can_see(principal: dict, report: dict) -> bool:
    if may(principal, "see_every_report"):
        return True
    if principal["id"] == report["author_id"] or principal["id"] in report["co_author_ids"]:
        return True
    # A unit admin sees the unit's reports, and those handed to the unit (转交).
    units = {report["unit_id"], report.get("handoff_unit_id")} - {None}
    return has_role(principal, "unit_admin") and bool(units & set(principal["unit_ids"]))


def status_after_submit(current: str) -> str:
    if current == "draft":
        return "submitted"
    if current == "returned":
        return "resubmitted"
    raise Conflict(f"a report in status {current!r} cannot be submitted")


def check_editable(report: dict, principal: dict) -> None:
    if report["author_id"] != principal["id"]:
        raise Forbidden("only the author changes a report")
    if report["status"] not in EDITABLE:
        raise Conflict(f"a report in status {report['status']!r} cannot be edited")


def check_withdrawable(report: dict, principal: dict) -> None:
    if report["author_id"] != principal["id"]:
        raise Forbidden("only the author withdraws a report")
    if report["status"] not in WITHDRAWABLE:
        raise Conflict(f"a report in status {report['status']!r} cannot be withdrawn")


def body_hash(data: dict) -> str:
    """A stable fingerprint of a submission, to tell a retry from a different request."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False)
                          .encode("utf-8")).hexdigest()


def period_bounds(period: str) -> tuple:
    """A quarter (2026-Q3) or a year (2026) as [start, end) instants, the days counted in
    the office's time zone (MINYI_TIMEZONE): work done on 1 Oct 00:30 Beijing time is Q4."""
    match = re.fullmatch(r"(\d{4})(?:-Q([1-4]))?", period or "")
    if not match:
        raise ValidationFailed("invalid period", {"period": [
            "A quarter such as 2026-Q3 or a year such as 2026."]})
    year = int(match.group(1))
    if match.group(2):
        first = (int(match.group(2)) - 1) * 3 + 1
        start, end = date(year, first, 1), (date(year + 1, 1, 1) if first == 10
                                            else date(year, first + 3, 1))
    else:
        start, end = date(year, 1, 1), date(year + 1, 1, 1)
    return officetime.start_of(start), officetime.start_of(end)
