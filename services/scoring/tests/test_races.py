"""Events about one report at the same moment, and a rebuild racing them, on PostgreSQL
(SQLite serialises writers and hides these races). Each test releases the racing calls
together at a barrier, many rounds, and checks the result against a recomputation
(``handlers.check``). Without the per-report lock the outcomes of one report overwrite
each other (points lost); without the rebuild lock a report's lines are written twice."""
from datetime import date

import pytest
from sqlalchemy import func, select

from minyi_common.testing import both_backends, race
from services.scoring import handlers
from services.scoring.adapters.orm import report_records, score_lines

from .test_scoring import Settings, at, db, event, person  # noqa: F401  (fixture)

ROUNDS = 8
OUTCOMES = (
    {"kind": "forwarded", "level": "city", "date": "2026-07-20", "target": "市政协"},
    {"kind": "upstream_adopted", "level": "city", "date": "2026-07-21", "mode": "single"},
    {"kind": "instructed", "level": "county", "date": "2026-07-22", "leader": "县长"},
)


def outcome_event(report_id, outcome, hour):
    kind = "report_forwarded" if outcome["kind"] == "forwarded" else "report_outcome_recorded"
    return event(kind, report_id, at(date(2026, 7, 20), hour), outcome=outcome)


def adopted(report_id):
    return event("report_adopted", report_id, at(date(2026, 7, 10)), mode="single",
                 level="county", decided_on="2026-07-10")


def author_points(db, author="zhang") -> float:
    with db.unit_of_work(read_only=True) as uow:
        return float(uow.execute(select(func.coalesce(func.sum(score_lines.c.points), 0)).where(
            score_lines.c.subject_kind == "person",
            score_lines.c.subject_id == author)).scalar_one())


@pytest.mark.parametrize("backend", ["postgresql"])
def test_outcomes_recorded_at_the_same_moment_all_count(db):  # noqa: F811
    person(db, "zhang", "张三", ["member"])
    for n in range(ROUNDS):
        report_id = f"race-{n}"
        handlers.on_report_events(db, Settings, adopted(report_id))
        results = race(*[lambda o=o, h=h: handlers.on_report_events(
            db, Settings, outcome_event(report_id, o, 10 + h)) for h, o in enumerate(OUTCOMES)])
        assert [r for r in results if isinstance(r, Exception)] == []
        with db.unit_of_work(read_only=True) as uow:
            record = uow.execute(select(report_records).where(
                report_records.c.report_id == report_id)).first()
        assert len(record.outcomes) == 3, f"round {n}: outcomes lost: {record.outcomes}"
    # 1 accepted + 5 adopted + 10 city upstream + 5 county instruction (forwarded to the
    # city earns nothing at county level) per report, every round.
    assert author_points(db) == ROUNDS * 21
    assert handlers.check(db, "county")["ok"]


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_rebuild_racing_events_writes_each_line_once(db):  # noqa: F811
    person(db, "zhang", "张三", ["member"])
    for n in range(ROUNDS):
        handlers.on_report_events(db, Settings, adopted(f"base-{n}"))
    for n in range(ROUNDS):
        report_id = f"busy-{n}"
        handlers.on_report_events(db, Settings, adopted(report_id))
        results = race(lambda: handlers.rebuild(db, "county", batch=3),
                       lambda: handlers.rebuild(db, "county", batch=5),  # another instance
                       *[lambda o=o, h=h: handlers.on_report_events(
                           db, Settings, outcome_event(report_id, o, 10 + h))
                         for h, o in enumerate(OUTCOMES)])
        assert [r for r in results if isinstance(r, Exception)] == []
        found = handlers.check(db, "county")
        assert found["ok"], f"round {n}: {found}"
    assert author_points(db) == ROUNDS * 6 + ROUNDS * 21


@both_backends
def test_the_check_names_drifted_reports_and_totals(db):  # noqa: F811
    person(db, "zhang", "张三", ["member"])
    handlers.on_report_events(db, Settings, adopted("ok-1"))
    handlers.on_report_events(db, Settings, adopted("bad-1"))
    assert handlers.check(db, "county") == {"reports_checked": 2, "drifted_reports": [],
                                            "drifted_totals": [], "drifted_adjustments": [],
                                            "ok": True}
    with db.unit_of_work() as uow:  # a line written twice, as the race used to
        line = uow.execute(select(score_lines).where(
            score_lines.c.report_id == "bad-1", score_lines.c.subject_kind == "person",
            score_lines.c.points > 0).limit(1)).mappings().first()
        uow.execute(score_lines.insert().values({k: v for k, v in line.items() if k != "id"}))
        uow.commit()
    found = handlers.check(db, "county")
    assert found["drifted_reports"] == ["bad-1"] and not found["ok"]
    # The totals no longer add up to the lines either (20263: 2026, third quarter; 20260:
    # the whole of 2026).
    assert found["drifted_totals"] == ["person:zhang:20260", "person:zhang:20263"]
    handlers.rebuild(db, "county")
    assert handlers.check(db, "county")["ok"]  # a rebuild repairs both


@both_backends
def test_the_check_names_an_adjustment_whose_line_is_gone_or_differs(db):  # noqa: F811
    from datetime import datetime, timezone
    from decimal import Decimal

    from services.scoring import domain
    from services.scoring.adapters.repository import ScoringRepository
    person(db, "zhang", "张三", ["member"])
    with db.unit_of_work() as uow:
        repo = ScoringRepository(uow)
        for adjustment_id, points in (("adj-kept", "2"), ("adj-lost", "3"), ("adj-moved", "1")):
            repo.add_adjustment({"id": adjustment_id, "subject_kind": "person",
                                 "subject_id": "zhang", "points": Decimal(points),
                                 "reason": "培训", "on": date(2026, 8, 1), "appeal_id": None,
                                 "created_by": "admin",
                                 "created_at": datetime.now(timezone.utc)})
        repo.add_lines([domain.adjustment_line("adj-kept", "person", "zhang", Decimal("2"),
                                               date(2026, 8, 1), "county"),
                        domain.adjustment_line("adj-moved", "person", "zhang", Decimal("5"),
                                               date(2026, 8, 1), "county"),
                        domain.adjustment_line("adj-ghost", "person", "zhang", Decimal("1"),
                                               date(2026, 8, 1), "county")])
        uow.commit()
    found = handlers.check(db, "county")
    assert found["drifted_adjustments"] == ["adj-ghost", "adj-lost", "adj-moved"]
    assert not found["ok"]
