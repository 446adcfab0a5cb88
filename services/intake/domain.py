"""Intake's rules, free of any framework: who may see and change a report, which
status follows which, and the checks of a report against the directory."""
import hashlib
import json
import re
from datetime import date, timedelta

from minyi_common import officetime, words
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
                            author_unit_ids: list, declined=frozenset(),
                            unit_kind=None) -> None:
    """The content rules (docs/reports.md): co-authors are existing people, not the
    author, and none who left the report before (``declined``); the unit is the
    author's, and one a report may count for (``unit_kind``, a government department
    takes hand-offs and writes no reports of its own)."""
    errors = {}
    co_authors = data.get("co_author_ids") or []
    if author_id in co_authors:
        errors["co_author_ids"] = ["The author cannot be a co-author."]
    elif set(co_authors) & set(declined):
        errors["co_author_ids"] = [
            "Left this report as co-authors, and cannot be named again: {ids}.".format(
                ids=", ".join(p for p in co_authors if p in declined))]
    else:
        unknown = [pid for pid in co_authors if pid not in known_people]
        if unknown:
            errors["co_author_ids"] = [f"Unknown people: {', '.join(unknown)}."]
    unit_id = data.get("unit_id")
    if unit_id is not None and unit_id not in author_unit_ids:
        errors["unit_id"] = ["The author does not belong to this unit."]
    elif unit_id is not None and unit_kind in words.NOT_A_PERSONS_REPORT_UNIT:
        errors["unit_id"] = ["A report does not count for a government department or a lower office."]
    if errors:
        raise ValidationFailed("some fields are invalid", errors)


def may_author(principal: dict) -> None:
    if not may(principal, "write_reports"):
        raise Forbidden("only members, officers and unit admins submit reports")


def _on_behalf(principal: dict, data: dict) -> bool:
    return data.get("on_behalf_of") not in (None, principal["id"])


def may_enter(principal: dict, data: dict) -> None:
    """Whether the principal may make this new report: their own, or for 代录 one for
    somebody else."""
    if not _on_behalf(principal, data):
        may_author(principal)
        if data.get("received_on") is not None:
            raise ValidationFailed("some fields are invalid", {"received_on": [
                "Only a report entered on behalf has a date handed in."]})
    elif not may(principal, "enter_on_behalf"):
        raise Forbidden("only editors, admins and unit admins enter reports on behalf of others")


def author_of_entry(principal: dict, data: dict, author) -> str:
    """Who a new report belongs to: whoever writes it, or for 代录 (``on_behalf_of``) the
    person named, when the principal may enter for them. ``author`` is that person as the
    directory copy has them ({roles, unit_ids, active}), or None."""
    may_enter(principal, data)
    if not _on_behalf(principal, data):
        return principal["id"]
    on_behalf_of = data["on_behalf_of"]
    problem = None
    if author is None or not author["active"]:
        problem = "No such person, or the account is disabled."
    elif not may(author, "write_reports"):
        problem = "This person does not write reports (members, officers and unit admins do)."
    elif not may(principal, "see_every_report") and not (
            set(author["unit_ids"]) & set(principal["unit_ids"])):
        problem = "A unit admin enters reports only for the people of their units."
    if problem:
        raise ValidationFailed("some fields are invalid", {"on_behalf_of": [problem]})
    received_on = data.get("received_on")
    if received_on is not None and received_on > officetime.today():
        raise ValidationFailed("some fields are invalid", {"received_on": [
            "The date cannot be in the future."]})
    return on_behalf_of


def acts_for_author(principal: dict, report: dict) -> bool:
    """The author, or whoever entered the report for them (the author may never sign in)."""
    return principal["id"] in (report["author_id"], report.get("entered_by"))


def can_see(principal: dict, report: dict) -> bool:
    if may(principal, "see_every_report"):
        return True
    if acts_for_author(principal, report) or principal["id"] in report["co_author_ids"]:
        return True
    # A unit admin sees the unit's reports. A unit a report is handed to (转办) reads it
    # with the hand-off, in review.
    return has_role(principal, "unit_admin") and report["unit_id"] in principal["unit_ids"]


# Files go on a report until it is decided; they are taken off while it may be edited.
ATTACHABLE = ("draft", "submitted", "resubmitted", "returned")
MAX_ATTACHMENTS = 10


def check_may_attach(report: dict, principal: dict, attached: int) -> None:
    if not acts_for_author(principal, report):
        raise Forbidden("only the author, or who entered the report, attaches files to it")
    if report["status"] not in ATTACHABLE:
        raise Conflict(f"a report in status {report['status']!r} takes no more files")
    if attached >= MAX_ATTACHMENTS:
        raise ValidationFailed("some fields are invalid", {"file": [
            f"At most {MAX_ATTACHMENTS} files on one report."]})


def check_may_detach(report: dict, principal: dict) -> None:
    if not acts_for_author(principal, report):
        raise Forbidden("only the author, or who entered the report, attaches files to it")
    if report["status"] not in EDITABLE:
        raise Conflict(f"a report in status {report['status']!r} cannot be edited")


def check_may_decline(report: dict, principal: dict) -> None:
    """A co-author may leave (退出联名) until the report is decided (docs/reports.md)."""
    if principal["id"] not in report["co_author_ids"]:
        raise Forbidden("only a co-author of this report may leave it")
    if report["status"] in FINAL:
        raise Conflict(f"a report in status {report['status']!r} is decided; its co-authors stay")


def status_after_submit(current: str) -> str:
    if current == "draft":
        return "submitted"
    if current == "returned":
        return "resubmitted"
    raise Conflict(f"a report in status {current!r} cannot be submitted")


def check_editable(report: dict, principal: dict) -> None:
    if not acts_for_author(principal, report):
        raise Forbidden("only the author changes a report")
    if report["status"] not in EDITABLE:
        raise Conflict(f"a report in status {report['status']!r} cannot be edited")


def check_withdrawable(report: dict, principal: dict) -> None:
    if not acts_for_author(principal, report):
        raise Forbidden("only the author withdraws a report")
    if report["status"] not in WITHDRAWABLE:
        raise Conflict(f"a report in status {report['status']!r} cannot be withdrawn")


def body_hash(data: dict) -> str:
    """A stable fingerprint of a submission, to tell a retry from a different request
    (the 代录 fields left out when empty, so that a key taken before they existed still
    recognises its retry)."""
    data = {k: v for k, v in data.items()
            if v is not None or k not in ("on_behalf_of", "received_on", "topic_id",
                                          "commission_id")}
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
                          .encode("utf-8")).hexdigest()


# --- what the office asks for (docs/office-voice.md) --------------------------------
def counting_year(data: dict, report=None) -> int:
    """The year a report counts in: the day it was handed in (代录), the day it was
    first submitted, or today for one not yet submitted."""
    if data.get("received_on") or (report and report.get("received_on")):
        return (data.get("received_on") or report["received_on"]).year
    if report and report.get("submitted_at"):
        return officetime.office_date(report["submitted_at"]).year
    return officetime.today().year


def check_topic_and_commission(data: dict, author_id: str, author_unit_ids, year: int,
                               topic, commission) -> None:
    """A report's topic is one of the year it counts in; the commission it answers is
    addressed to its author or one of the author's units. ``topic`` and ``commission``
    are the rows the ids name (None when there is none)."""
    errors = {}
    if data.get("topic_id"):
        if topic is None:
            errors["topic_id"] = ["No such topic."]
        elif topic["year"] != year:
            errors["topic_id"] = [f"This topic is for {topic['year']}, not {year}."]
    if data.get("commission_id"):
        if commission is None:
            errors["commission_id"] = ["No such commission."]
        elif commission["person_id"] != author_id and \
                commission["unit_id"] not in (author_unit_ids or ()):
            errors["commission_id"] = [
                "This commission is not addressed to the author or their unit."]
    if errors:
        raise ValidationFailed("some fields are invalid", errors)


def check_commission(data: dict, today, person, unit, topic) -> None:
    """约稿 to an active person, or an existing unit, due today or later; its topic, if
    any, one of the year it is due in."""
    errors = {}
    if data.get("person_id") and (person is None or not person["active"]):
        errors["person_id"] = ["No such person, or the account is disabled."]
    if data.get("unit_id") and unit is None:
        errors["unit_id"] = ["No such unit."]
    if data["due_on"] < today:
        errors["due_on"] = ["The due date cannot be in the past."]
    elif data["due_on"] > today + timedelta(days=366):
        errors["due_on"] = ["The due date is more than a year away."]
    if data.get("topic_id"):
        if topic is None:
            errors["topic_id"] = ["No such topic."]
        elif topic["year"] != data["due_on"].year:
            errors["topic_id"] = [f"This topic is for {topic['year']}, "
                                  f"not {data['due_on'].year}."]
    if errors:
        raise ValidationFailed("some fields are invalid", errors)


def commission_state(commission: dict, answered_at, today) -> str:
    if answered_at is not None:
        return "answered"
    return "overdue" if commission["due_on"] < today else "open"


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
