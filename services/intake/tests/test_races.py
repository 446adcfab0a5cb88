"""Intake's races on PostgreSQL: review's outcome events for one report at one moment (the
author's view must show every outcome), a withdrawal racing a decision's event, and
directory snapshots arriving out of order."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from minyi_common import events
from minyi_common.db import Database
from minyi_common.testing import both_backends, race
from services.intake import handlers
from services.intake.adapters.orm import metadata, people

AUTHOR = {"id": "author-1", "username": "zhang", "roles": ["member"], "unit_ids": [],
          "display_name": "张三"}
REPORT = {"title": "关于加强农村饮水安全保障的建议", "category": "rural",
          "situation": "山村饮水困难，旱季断水、雨季浑浊的情况时有发生，群众反映强烈。" * 2,
          "analysis": "供水管网老化，管护经费不足，水质检测频次偏低。",
          "suggestions": "将管护经费纳入预算，建立村级管水员制度。"}
ROUNDS = 6


@pytest.fixture
def db(databases):
    database = Database(databases.url("intake"), metadata)
    yield database
    database.dispose()


def review_event(kind, report, at, **fields):
    record = {k: report[k] for k in ("id", "author_id", "co_author_ids", "unit_id", "title",
                                     "category")} | {"submitted_at": report["submitted_at"]}
    body = events.new_event(kind, "editor", report["id"], report=record, **fields)
    body["occurred_at"] = at.isoformat()
    return events.parse_event(body)


@pytest.mark.parametrize("backend", ["postgresql"])
def test_outcome_events_at_one_moment_all_reach_the_author(db):
    for n in range(ROUNDS):
        report = handlers.create_report(db, AUTHOR, REPORT)["report"]
        now = datetime.now(timezone.utc)
        kinds = [("report_forwarded", {"kind": "forwarded", "level": "city"}),
                 ("report_outcome_recorded", {"kind": "upstream_adopted", "level": "city",
                                              "mode": "single"}),
                 ("report_outcome_recorded", {"kind": "instructed", "level": "county",
                                              "leader": "县长"})]
        results = race(*[lambda k=k, o=o, i=i: handlers.on_review_events(db, review_event(
            k, report, now + timedelta(seconds=i), outcome={**o, "date": "2026-07-20"}))
            for i, (k, o) in enumerate(kinds)])
        assert [r for r in results if isinstance(r, Exception)] == []
        seen = handlers.get_report(db, AUTHOR, report["id"])
        assert sorted(o["kind"] for o in seen["outcomes"]) == [
            "forwarded", "instructed", "upstream_adopted"], f"round {n}: {seen['outcomes']}"


@pytest.mark.parametrize("backend", ["postgresql"])
def test_two_batches_about_the_same_reports_never_deadlock(db):
    """Two consumers of one service (forwarded, outcome recorded) each take a batch about
    the same reports, which arrived in opposite orders: both lock the reports in one order,
    so neither waits for the other in a circle (PostgreSQL would end one after its
    deadlock_timeout, and the batch would go again event by event)."""
    for n in range(ROUNDS):
        first, second = (handlers.create_report(db, AUTHOR, REPORT)["report"]
                         for _ in range(2))
        now = datetime.now(timezone.utc)

        def batch(kind, outcome, reports):
            return [review_event(kind, report, now, outcome={**outcome, "date": "2026-07-20"})
                    for report in reports]
        forwarded = batch("report_forwarded", {"kind": "forwarded", "level": "city"},
                          [first, second])
        recorded = batch("report_outcome_recorded",
                         {"kind": "instructed", "level": "county", "leader": "县长"},
                         [second, first])
        results = race(lambda: handlers.on_review_events(db, *forwarded),
                       lambda: handlers.on_review_events(db, *recorded))
        assert [r for r in results if isinstance(r, Exception)] == [], f"round {n}: {results}"
        for report in (first, second):
            seen = handlers.get_report(db, AUTHOR, report["id"])
            assert sorted(o["kind"] for o in seen["outcomes"]) == ["forwarded", "instructed"]


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_withdrawal_racing_a_decision_ends_as_review_decided(db):
    for n in range(ROUNDS):
        report = handlers.create_report(db, AUTHOR, REPORT)["report"]
        decided = review_event("report_adopted", report, datetime.now(timezone.utc),
                               mode="single", level="county", decided_on="2026-07-20")
        results = race(lambda: handlers.withdraw_report(db, AUTHOR, report["id"]),
                       lambda: handlers.on_review_events(db, decided))
        assert not isinstance(results[1], Exception), results[1]
        # Review decided before it could see the withdrawal, so it ignores it: the author
        # must see the decision either way, never a withdrawn report that was adopted.
        assert handlers.get_report(db, AUTHOR, report["id"])["status"] == "adopted", f"round {n}"


@both_backends
def test_an_older_directory_snapshot_never_overwrites_a_newer_one(db):
    def person(name, version):
        return events.parse_event(events.new_event("directory.person_upserted", "admin", person={
            "id": "p1", "username": "li", "display_name": name, "roles": ["member"],
            "unit_ids": [], "email": None, "active": True, "version": version}))

    handlers.on_directory_events(db, person("李四（新）", 3))
    handlers.on_directory_events(db, person("李四（旧）", 2))  # arrives late
    with db.unit_of_work(read_only=True) as uow:
        row = uow.execute(select(people.c.display_name, people.c.source_version)
                          .where(people.c.id == "p1")).first()
    assert (row.display_name, row.source_version) == ("李四（新）", 3)
    handlers.on_directory_events(db, person("李四（更新）", 4))
    with db.unit_of_work(read_only=True) as uow:
        assert uow.execute(select(people.c.display_name).where(
            people.c.id == "p1")).scalar() == "李四（更新）"
