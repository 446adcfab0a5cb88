"""The editorial state machine (docs/reports.md), free of any framework."""
from minyi_common.contracts import (AdoptInput, IssueImprint, IssueInput, MergeInput,
                                    OutcomeInput, QueueDays, RejectInput, RetainInput,
                                    ReturnInput, SpecialReportOptions, has_role,
                                    load_contract, load_principal, may, require)
from minyi_common.errors import Conflict, ValidationFailed
from minyi_common.events import LEVELS

PENDING = ("submitted", "resubmitted")
# What an author may still withdraw (docs/reports.md); a decided report stays decided. Intake's
# (re)submission events apply to these open cases only, so none can reopen a decision.
WITHDRAWABLE = PENDING + ("returned",)

# decision → (statuses it may be taken from, status it leaves). Decisions are final,
# except that a retained report may still be adopted (docs/reports.md).
DECISIONS = {
    "return": (PENDING, "returned"),
    "retain": (PENDING, "retained"),
    "reject": (PENDING, "rejected"),
    "adopt": (PENDING + ("retained",), "adopted"),
}


INPUTS = {"return": ReturnInput, "retain": RetainInput, "reject": RejectInput,
          "adopt": AdoptInput, "outcomes": OutcomeInput, "merge": MergeInput,
          "issue": IssueInput, "imprint": IssueImprint,
          "special_report": SpecialReportOptions, "queue_days": QueueDays}


def may_see(principal: dict, case: dict) -> bool:
    """Who may see a case's outcome files: the office, and those who may see the report
    (its author, co-authors, who entered it, its unit's admins)."""
    if may(principal, "see_every_report"):
        return True
    if principal["id"] in (case["author_id"], case.get("entered_by"), *case["co_author_ids"]):
        return True
    return has_role(principal, "unit_admin") and case["unit_id"] in principal["unit_ids"]


def as_editor(principal) -> dict:
    """The principal of a call only editors may make (it carries a seal to check)."""
    principal = load_principal(principal)
    require(principal, "review")
    return principal


def load_input(action: str, payload) -> dict:
    return load_contract(INPUTS[action], payload)


def load_merge(payload) -> dict:
    return load_input("merge", payload)


def next_status(action: str, current: str) -> str:
    allowed, target = DECISIONS[action]
    if current not in allowed:
        raise Conflict(f"cannot {action} a report that is {current}")
    return target


def check_outcome(case_status: str, outcome: dict, own_level: str) -> None:
    if case_status != "adopted":
        raise Conflict(f"outcomes are recorded on adopted reports; this one is {case_status}")
    rank = LEVELS.index
    if rank(outcome["level"]) < rank(own_level):
        raise ValidationFailed("level below this office", {
            "level": [f"Outcomes are recorded at {own_level} level or above."]})
    if outcome["kind"] == "upstream_adopted" and rank(outcome["level"]) <= rank(own_level):
        raise ValidationFailed("upstream means above this office", {
            "level": [f"An upstream adoption is above {own_level} level."]})


def at_or_above(level: str, other: str) -> bool:
    return LEVELS.index(level) >= LEVELS.index(other)


def record_of(case: dict) -> dict:
    """The report as review's events carry it (what scoring and notify need of it)."""
    record = {k: case[k] for k in ("author_id", "co_author_ids", "unit_id", "category",
                                   "situation", "analysis", "suggestions",
                                   "consent_to_publish", "urgent")}
    record.update(id=case["report_id"], title=case["title"],
                  submitted_at=case["submitted_at"].isoformat(),
                  entered_by=case.get("entered_by"),
                  received_on=case["received_on"].isoformat() if case.get("received_on")
                  else None, from_office=case.get("from_office"),
                  credited=case.get("credited"))
    return record
