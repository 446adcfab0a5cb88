"""Exact points by the default table (docs/scoring.md), without a database."""
from datetime import date
from decimal import Decimal

import pytest

from minyi_common.errors import ValidationFailed
from services.scoring import domain

V1 = domain.RuleSet(1, date(2000, 1, 1), Decimal("0.5"), domain.DEFAULT_RULES)
DAY = date(2026, 8, 3)


def record(status="adopted", mode="single", outcomes=(), co_authors=(), unit=None):
    decision = {"kind": status, "mode": mode, "on": DAY} if status in ("adopted",
                                                                       "retained") else None
    return domain.ReportRecord("r1", "author", list(co_authors), unit, DAY, status, decision,
                               {str(i): o for i, o in enumerate(outcomes)})


def total(lines, subject="author"):
    return sum((l.points for l in lines if l.subject_id == subject), Decimal(0))


@pytest.mark.parametrize("status,mode,points", [
    ("adopted", "single", 6), ("adopted", "merged", 3), ("retained", None, 1),
    ("rejected", None, 0), ("returned", None, 0), ("submitted", None, 0),
])
def test_decisions(status, mode, points):
    assert total(domain.score_lines(record(status, mode), [V1], "county")) == points


@pytest.mark.parametrize("kind,level,mode,points", [
    ("forwarded", "county", None, 1),
    ("upstream_adopted", "city", "single", 10), ("upstream_adopted", "province", "single", 15),
    ("upstream_adopted", "national", "single", 20), ("upstream_adopted", "city", "merged", 7),
    ("upstream_adopted", "province", "merged", 10), ("upstream_adopted", "national", "merged", 15),
    ("department_adopted", "county", None, 2), ("department_adopted", "city", None, 4),
    ("department_adopted", "province", None, 6), ("department_adopted", "national", None, 8),
    ("instructed", "county", None, 5), ("instructed", "city", None, 10),
    ("instructed", "province", None, 15), ("instructed", "national", None, 30),
])
def test_every_outcome_row(kind, level, mode, points):
    outcome = {"kind": kind, "level": level, "mode": mode, "date": DAY}
    lines = domain.score_lines(record(outcomes=[outcome]), [V1], "county")
    assert total(lines) == 6 + points  # on top of accepted 1 + adopted single 5


def test_co_authors_get_the_share_and_the_unit_the_full_points():
    lines = domain.score_lines(record(co_authors=["c1", "c2"], unit="u1"), [V1], "county")
    assert total(lines, "author") == 6
    assert total(lines, "c1") == total(lines, "c2") == Decimal("3")
    assert total(lines, "u1") == 6 and {l.subject_kind for l in lines if l.subject_id == "u1"} \
        == {"unit"}


def test_the_rule_version_in_force_on_each_events_date_applies():
    v2 = domain.RuleSet(2, date(2026, 9, 1), Decimal("0.5"), tuple(
        domain.Rule(r.event, r.level, r.mode, r.points * 2) for r in domain.DEFAULT_RULES))
    later = {"kind": "instructed", "level": "city", "mode": None, "date": date(2026, 9, 15)}
    lines = domain.score_lines(record(outcomes=[later]), [V1, v2], "county")
    assert [(l.event, l.points, l.rule_version) for l in lines] == [
        ("submitted", 0, 1), ("accepted", 1, 1), ("adopted", 5, 1), ("instructed", 20, 2)]


def test_an_unadopted_report_earns_nothing_for_outcomes():
    outcome = {"kind": "instructed", "level": "city", "mode": None, "date": DAY}
    lines = domain.score_lines(record("rejected", outcomes=[outcome]), [V1], "county")
    assert [(l.event, l.points) for l in lines] == [("submitted", 0)]


def test_a_submission_is_counted_for_author_and_unit_not_co_authors():
    lines = domain.score_lines(record("submitted", co_authors=["c1"], unit="u1"), [V1],
                               "county")
    assert sorted((l.subject_id, l.event, l.points) for l in lines) == [
        ("author", "submitted", 0), ("u1", "submitted", 0)]
    assert domain.score_lines(record("withdrawn"), [V1], "county") == []


def test_quarter_figures_add_up_lines_per_subject_and_quarter():
    lines = domain.score_lines(record(co_authors=["c1"], unit="u1"), [V1], "county")
    figures = domain.quarter_figures((l.subject_kind, l.subject_id, l.event, l.on, l.points)
                                     for l in lines)
    assert figures[("person", "author", 20263)] == {
        "points": 6, "submitted": 1, "adopted": 1, "upstream_adopted": 0, "instructions": 0}
    assert figures[("person", "c1", 20263)]["points"] == 3
    assert figures[("person", "c1", 20263)]["submitted"] == 0
    # Each line counts in its year's row too.
    assert figures[("person", "author", 20260)] == figures[("person", "author", 20263)]
    assert domain.period_keys("2025..2026") == [20250, 20260]
    assert domain.period_keys("2026-Q2") == [20262]
    assert domain.period_keys("2026") == [20260]
    assert domain.period_keys("2025-Q4..2026-Q2") == [20254, 20261, 20262]
    assert domain.period_keys("2025-Q3..2027") == [20253, 20254, 20260, 20270]


@pytest.mark.parametrize("period,first,last", [
    ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
    ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
    ("2026", date(2026, 1, 1), date(2026, 12, 31)),
    ("2025..2026", date(2025, 1, 1), date(2026, 12, 31)),
    ("term:十五届", date(2021, 1, 1), date(2025, 12, 31)),
])
def test_periods(period, first, last):
    assert domain.period_range(period) == (first, last)


def test_terms_are_the_offices_own(monkeypatch):
    monkeypatch.setenv("MINYI_TERMS", "十五届=2022..2026, 十六届=2027..2031")
    assert domain.period_range("term:十五届") == (date(2022, 1, 1), date(2026, 12, 31))
    assert domain.period_keys("term:十六届") == [20270, 20280, 20290, 20300, 20310]
    with pytest.raises(ValidationFailed):
        domain.period_range("term:十四届")


@pytest.mark.parametrize("period", ["2026-Q5", "26", "2026..2025", "Q3", "", "term:", "term:九届"])
def test_bad_periods_name_the_field(period):
    with pytest.raises(ValidationFailed) as caught:
        domain.period_range(period)
    assert "period" in caught.value.errors
