"""Scoring (docs/scoring.md), pure: a report's score lines are a function of its record and the
rule set in force on each scoring event's date. Nothing here touches a database."""
import hashlib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from minyi_common import officetime
from minyi_common.contracts import SCORING_EVENTS
from minyi_common.errors import ValidationFailed

LEVELS = ("county", "city", "province", "national")


@dataclass(frozen=True)
class Rule:
    event: str
    level: str
    mode: str | None
    points: Decimal


@dataclass(frozen=True)
class RuleSet:
    version: int
    effective_from: date
    coauthor_share: Decimal
    rules: tuple

    def points(self, event: str, level: str, mode: str | None) -> Decimal | None:
        for rule in self.rules:
            if rule.event == event and rule.level == level and rule.mode in (mode, None):
                return rule.points
        return None


def _rules(rows) -> tuple:
    return tuple(Rule(event, level, mode, Decimal(str(points)))
                 for event, level, mode, points in rows)


# The default table (docs/scoring.md), drawn from published CPPCC rules.
DEFAULT_RULES = _rules([
    ("accepted", "county", None, 1),
    ("adopted", "county", "single", 5),
    ("adopted", "county", "merged", 2),
    ("forwarded", "county", None, 1),
    ("upstream_adopted", "city", "single", 10),
    ("upstream_adopted", "province", "single", 15),
    ("upstream_adopted", "national", "single", 20),
    ("upstream_adopted", "city", "merged", 7),
    ("upstream_adopted", "province", "merged", 10),
    ("upstream_adopted", "national", "merged", 15),
    ("department_adopted", "county", None, 2),
    ("department_adopted", "city", None, 4),
    ("department_adopted", "province", None, 6),
    ("department_adopted", "national", None, 8),
    ("instructed", "county", None, 5),
    ("instructed", "city", None, 10),
    ("instructed", "province", None, 15),
    ("instructed", "national", None, 30),
])


def rule_set_in_force(rule_sets, on: date) -> RuleSet | None:
    """The newest version whose effective_from is on or before ``on``."""
    candidates = [r for r in rule_sets if r.effective_from <= on]
    return max(candidates, key=lambda r: (r.effective_from, r.version)) if candidates else None


@dataclass
class ReportRecord:
    """What scoring knows of a report: who wrote it, what review decided, what followed."""
    report_id: str
    author_id: str
    co_author_ids: list
    unit_id: str | None
    submitted_on: date
    status: str = "submitted"
    decision: dict | None = None       # {"kind": "adopted"|"retained", "mode", "on"}
    outcomes: dict = field(default_factory=dict)  # event_id -> {kind, level, mode, date}


@dataclass(frozen=True)
class ScoringEvent:
    event: str
    level: str
    mode: str | None
    on: date


@dataclass(frozen=True)
class ScoreLine:
    report_id: str
    subject_kind: str  # "person" | "unit"
    subject_id: str
    role: str          # "author" | "co_author" | "unit"
    event: str
    level: str
    mode: str | None
    points: Decimal
    rule_version: int
    on: date


def scoring_events(record: ReportRecord, own_level: str) -> list:
    """The events that earn points, in the order they happened. A submission is one too:
    it earns no points by the default table, but its line is what bulletins and quotas
    count (报送篇数)."""
    found = []
    if record.status != "withdrawn":
        found.append(ScoringEvent("submitted", own_level, None, record.submitted_on))
    if record.status in ("adopted", "retained") and record.decision:
        on = record.decision["on"]
        found.append(ScoringEvent("accepted", own_level, None, on))
        if record.status == "adopted":
            found.append(ScoringEvent("adopted", own_level, record.decision.get("mode"), on))
    if record.status == "adopted":
        for outcome in record.outcomes.values():
            found.append(ScoringEvent(outcome["kind"], outcome["level"], outcome.get("mode"),
                                      outcome["date"]))
    return sorted(found, key=lambda e: (e.on, SCORING_EVENTS.index(e.event)))


def score_lines(record: ReportRecord, rule_sets, own_level: str) -> list:
    """Every score line of one report: author in full, each co-author by the share, the
    unit named on the report in full (docs/scoring.md)."""
    lines = []
    for event in scoring_events(record, own_level):
        rule_set = rule_set_in_force(rule_sets, event.on)
        if rule_set is None:
            continue
        points = rule_set.points(event.event, event.level, event.mode)
        if event.event == "submitted":
            points = points or Decimal(0)  # counted for the author and unit, never shared
        elif not points:
            continue
        subjects = [("person", record.author_id, "author", points)]
        if event.event != "submitted":
            subjects += [("person", pid, "co_author", points * rule_set.coauthor_share)
                         for pid in record.co_author_ids]
        if record.unit_id:
            subjects.append(("unit", record.unit_id, "unit", points))
        lines += [ScoreLine(record.report_id, kind, subject, role, event.event, event.level,
                            event.mode, share, rule_set.version, event.on)
                  for kind, subject, role, share in subjects]
    return lines


def period_range(period: str) -> tuple:
    """``2026-Q3``, ``2026``, ``2025..2026`` or a term ``term:十五届`` → (first day,
    last day)."""
    try:
        if period.startswith("term:"):
            years = officetime.terms().get(period[5:].strip())
            if years is None:
                raise ValueError
            return period_range(years)
        if ".." in period:
            first, last = period.split("..")
            start, _ = period_range(first)
            _, end = period_range(last)
            if start > end:
                raise ValueError
            return start, end
        if "-Q" in period:
            year, quarter = period.split("-Q")
            year, quarter = int(year), int(quarter)
            if not 1 <= quarter <= 4:
                raise ValueError
            start = date(year, 3 * quarter - 2, 1)
            end = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
            return start, date.fromordinal(end.toordinal() - 1)
        year = int(period)
        if not 1900 < year < 3000:
            raise ValueError
        return date(year, 1, 1), date(year, 12, 31)
    except ValueError:
        raise ValidationFailed("invalid period", {"period": [
            "Use a quarter (2026-Q3), a year (2026), a range of years (2025..2026) or a term "
            "(term:十五届)."]}) from None


def previous_period(period: str) -> str | None:
    """The period a bulletin compares with: the quarter or year before; none for ranges."""
    if ".." in period or period.startswith("term:"):
        return None
    if "-Q" in period:
        year, quarter = (int(part) for part in period.split("-Q"))
        return f"{year - 1}-Q4" if quarter == 1 else f"{year}-Q{quarter - 1}"
    return str(int(period) - 1)


def current_quarter(today: date) -> str:
    return f"{today.year}-Q{(today.month - 1) // 3 + 1}"


def quarter_key(day: date) -> int:
    """2026-08-05 → 20263: quarters as sortable integers (every period is whole quarters)."""
    return day.year * 10 + (day.month - 1) // 3 + 1


COUNTED = {"submitted": "submitted", "adopted": "adopted",
           "upstream_adopted": "upstream_adopted", "instructed": "instructions"}
FIGURES = ("points", "submitted", "adopted", "upstream_adopted", "instructions")


def quarter_figures(lines) -> dict:
    """{(subject kind, subject id, key): {points, submitted, adopted, ...}} of
    (subject_kind, subject_id, event, on, points) tuples: what standings add up. Each line
    counts under its quarter's key (20263) and under its whole year's (20260): a year's
    standings read one row per subject, as a quarter's do."""
    found = {}
    for subject_kind, subject_id, event, on, points in lines:
        quarter = quarter_key(on)
        for key in ((subject_kind, subject_id, quarter),
                    (subject_kind, subject_id, quarter - quarter % 10)):
            figures = found.setdefault(key, dict.fromkeys(FIGURES, 0))
            figures["points"] += Decimal(str(points))
            if event in COUNTED:
                figures[COUNTED[event]] += 1
    return found


def period_keys(period: str) -> list:
    """The fewest rows of totals that make up ``period``: each whole calendar year by its
    year key (20260), the rest of it quarter by quarter (20263)."""
    start, end = period_range(period)
    keys = []
    for year in range(start.year, end.year + 1):
        if start <= date(year, 1, 1) and date(year, 12, 31) <= end:
            keys.append(year * 10)
        else:
            keys += [year * 10 + q for q in range(1, 5)
                     if start <= date(year, 3 * q - 2, 1) <= end]
    return keys


def rerank(rows, in_place=False) -> list:
    """Rows already in order of points, ranked among themselves as ``rank_by_histogram``
    ranks them (ties share a rank; the next skips past them): copies, or with
    ``in_place`` the rows themselves (rows made for this ranking alone)."""
    ranked, previous, rank = [], None, 0
    for position, row in enumerate(rows, start=1):
        if previous != row["points"]:
            rank = position
        previous = row["points"]
        if in_place:
            row["rank"] = rank
            ranked.append(row)
        else:
            ranked.append({**row, "rank": rank})
    return ranked


def rank_by_histogram(rows: list, histogram) -> tuple:
    """(rows with their rank, how many subjects there are): ``rows`` are a page of
    subjects in order of points, ``histogram`` (points, how many subjects have them) covers
    every subject. Ties share a rank; the next rank skips past them (1, 2, 2, 4)."""
    rank_of, above = {}, 0
    for value, count in sorted(histogram, reverse=True):
        rank_of[value] = above + 1
        above += count
    return [{**row, "rank": rank_of[row["points"]]} for row in rows], above


def line_key(report_id: str, subject_kind: str, subject_id: str, role: str, event: str,
             level: str) -> str:
    """A line's name that survives recomputation: what the line is for and whose it is,
    never its points, date or rule version, which a new rule set or a corrected date may
    change. A report earns each event once per level, so no two lines share a key."""
    raw = "|".join((report_id, subject_kind, subject_id, role, event, level))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]


ADJUSTMENT = "adjustment"  # the event of a line added by hand; its rule version is 0


def adjustment_line(adjustment_id: str, subject_kind: str, subject_id: str, points: Decimal,
                    on: date, level: str) -> ScoreLine:
    return ScoreLine(adjustment_id, subject_kind, subject_id, ADJUSTMENT, ADJUSTMENT, level,
                     None, Decimal(str(points)), 0, on)
