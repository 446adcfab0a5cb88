"""代录 on SQLite and PostgreSQL: an office enters a report handed in on paper for its
author (docs/reports.md). The author of record is the person named; who typed it keeps
it in the history and may revise it when it is returned; nobody else may enter for
others, and a refused entry stores nothing."""
import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from minyi_common import events, officetime
from minyi_common.errors import Forbidden, ValidationFailed
from minyi_common.testing import both_backends
from services.intake import handlers

from .test_races import REPORT, db  # noqa: F401 (fixture)

EDITOR = {"id": "editor-1", "username": "wang", "roles": ["editor"], "unit_ids": []}
CLERK = {"id": "clerk-1", "username": "clerk", "roles": ["unit_admin"], "unit_ids": ["party-1"]}
MEMBER = {"id": "member-1", "username": "li", "roles": ["member"], "unit_ids": ["party-1"]}
OUTSIDER = {"id": "member-2", "username": "zhou", "roles": ["member"], "unit_ids": ["party-2"]}
RETIRED = {"id": "member-3", "username": "qian", "roles": ["member"], "unit_ids": ["party-1"]}


def _person(principal, active=True):
    return events.parse_event(events.new_event("directory.person_upserted", "admin", person={
        "id": principal["id"], "username": principal["username"],
        "display_name": principal["username"], "roles": principal["roles"],
        "unit_ids": principal["unit_ids"], "email": None, "active": active, "version": 1}))


@pytest.fixture
def office(db):
    handlers.on_directory_events(db, *[_person(p) for p in (EDITOR, CLERK, MEMBER, OUTSIDER)],
                                 _person(RETIRED, active=False))
    return db


def stored(db) -> tuple:
    tables = db.metadata.tables
    with db.engine.connect() as connection:
        return tuple(connection.execute(select(func.count()).select_from(tables[t])).scalar_one()
                     for t in ("reports", "report_history", "outbox"))


def outbox_bodies(db) -> list:
    with db.engine.connect() as connection:
        return [json.loads(r.body) for r in connection.execute(
            db.metadata.tables["outbox"].select())]


@both_backends
def test_an_editor_enters_a_paper_report_that_is_its_authors_everywhere(office):
    handed_in = officetime.today() - timedelta(days=5)
    report = handlers.create_report(office, EDITOR, dict(
        REPORT, on_behalf_of=MEMBER["id"], received_on=handed_in.isoformat(),
        unit_id="party-1"))["report"]
    assert report["author_id"] == MEMBER["id"] and report["entered_by"] == EDITOR["id"]
    assert report["received_on"] == handed_in.isoformat()
    assert report["status"] == "submitted" and report["unit_id"] == "party-1"
    assert [(h["action"], h["actor_id"]) for h in report["history"]] == [
        ("entered_on_behalf", EDITOR["id"]), ("submitted", EDITOR["id"])]
    # The author's own list, as theirs ("mine"), and the event every service learns from.
    mine = handlers.list_reports(office, MEMBER, {"mine": "true"})["items"]
    assert [r["id"] for r in mine] == [report["id"]]
    [event] = outbox_bodies(office)
    assert event["event_type"] == "report_submitted"
    assert event["report"]["author_id"] == MEMBER["id"]
    assert event["report"]["entered_by"] == EDITOR["id"]
    assert event["report"]["received_on"] == handed_in.isoformat()


@both_backends
def test_the_day_handed_in_defaults_to_today_and_cannot_be_in_the_future(office):
    report = handlers.create_report(office, EDITOR, dict(REPORT, on_behalf_of=MEMBER["id"]))
    assert report["report"]["received_on"] == officetime.today().isoformat()
    before = stored(office)
    tomorrow = (officetime.today() + timedelta(days=1)).isoformat()
    with pytest.raises(ValidationFailed) as refused:
        handlers.create_report(office, EDITOR, dict(REPORT, on_behalf_of=MEMBER["id"],
                                                    received_on=tomorrow))
    assert list(refused.value.errors) == ["received_on"]
    with pytest.raises(ValidationFailed) as refused:  # a member's own report has no such day
        handlers.create_report(office, MEMBER, dict(REPORT, received_on="2026-09-28"))
    assert list(refused.value.errors) == ["received_on"]
    assert stored(office) == before


@both_backends
def test_a_unit_admin_enters_only_for_the_people_of_their_units(office):
    ok = handlers.create_report(office, CLERK, dict(REPORT, on_behalf_of=MEMBER["id"]))
    assert ok["report"]["author_id"] == MEMBER["id"]
    before = stored(office)
    for person, field in ((OUTSIDER["id"], "on_behalf_of"), ("nobody", "on_behalf_of"),
                          (RETIRED["id"], "on_behalf_of"), (EDITOR["id"], "on_behalf_of")):
        with pytest.raises(ValidationFailed) as refused:
            handlers.create_report(office, CLERK, dict(REPORT, on_behalf_of=person))
        assert list(refused.value.errors) == [field], person
    # The unit must be the author's, not the clerk's.
    with pytest.raises(ValidationFailed) as refused:
        handlers.create_report(office, EDITOR, dict(REPORT, on_behalf_of=OUTSIDER["id"],
                                                    unit_id="party-1"))
    assert list(refused.value.errors) == ["unit_id"]
    assert stored(office) == before


@both_backends
def test_a_member_cannot_enter_for_somebody_else(office):
    before = stored(office)
    with pytest.raises(Forbidden):
        handlers.create_report(office, MEMBER, dict(REPORT, on_behalf_of=OUTSIDER["id"]))
    with pytest.raises(Forbidden):  # nor an editor write one of their own
        handlers.create_report(office, EDITOR, REPORT)
    assert stored(office) == before
    # Naming oneself is simply one's own report.
    own = handlers.create_report(office, MEMBER, dict(REPORT, on_behalf_of=MEMBER["id"]))
    assert own["report"]["entered_by"] is None and own["report"]["received_on"] is None


@both_backends
def test_who_entered_it_revises_a_returned_report_and_nobody_else_does(office):
    report = handlers.create_report(office, CLERK, dict(REPORT, on_behalf_of=MEMBER["id"],
                                                        draft=True))["report"]
    assert [h["action"] for h in report["history"]] == ["entered_on_behalf"]
    # A draft entered for the author: the clerk finishes it; the author sees it too.
    assert handlers.get_report(office, MEMBER, report["id"])["status"] == "draft"
    edited = handlers.update_report(office, CLERK, report["id"], dict(
        REPORT, title="关于加强农村饮水安全保障工作的建议"))
    assert edited["author_id"] == MEMBER["id"]
    with pytest.raises(ValidationFailed) as refused:  # the author of record stays
        handlers.update_report(office, CLERK, report["id"], dict(
            REPORT, on_behalf_of=OUTSIDER["id"]))
    assert list(refused.value.errors) == ["on_behalf_of"]
    submitted = handlers.submit_report(office, CLERK, report["id"])
    assert submitted["status"] == "submitted"
    with pytest.raises(Exception) as refused:  # another unit admin of another unit
        handlers.update_report(office, {**CLERK, "id": "clerk-2", "unit_ids": ["party-2"]},
                               report["id"], REPORT)
    assert type(refused.value).__name__ == "NotFound"


# --- co-authors agree (退出联名) ---------------------------------------------------------
@both_backends
def test_a_co_author_leaves_until_the_report_is_decided_and_is_not_named_again(office):
    report = handlers.create_report(office, MEMBER, dict(REPORT, co_author_ids=[
        OUTSIDER["id"]]))["report"]
    assert handlers.get_report(office, OUTSIDER, report["id"])["co_author_ids"] == [
        OUTSIDER["id"]]
    with pytest.raises(Forbidden):  # only a co-author leaves
        handlers.decline_co_authorship(office, EDITOR, report["id"])
    left = handlers.decline_co_authorship(office, OUTSIDER, report["id"])
    assert left["report_id"] == report["id"]
    # No longer credited or shown: not theirs to see, not in their list, not on the report.
    with pytest.raises(Exception) as hidden:
        handlers.get_report(office, OUTSIDER, report["id"])
    assert type(hidden.value).__name__ == "NotFound"
    assert handlers.list_reports(office, OUTSIDER, {})["total"] == 0
    seen = handlers.get_report(office, MEMBER, report["id"])
    assert seen["co_author_ids"] == []
    assert seen["history"][-1]["action"] == "co_author_declined"
    [_, declined] = outbox_bodies(office)
    assert declined["event_type"] == "report_co_author_declined"
    assert declined["person_id"] == OUTSIDER["id"]
    assert declined["report"]["co_author_ids"] == []
    # Returned, the author cannot name them again.
    handlers.on_review_events(office, events.parse_event(dict(events.new_event(
        "report_returned", EDITOR["id"], report["id"], report={
            k: report[k] for k in ("id", "author_id", "co_author_ids", "unit_id", "title",
                                   "category", "submitted_at")}, comment="请补充"),
        occurred_at=datetime.now(timezone.utc).isoformat())))
    assert handlers.get_report(office, MEMBER, report["id"])["status"] == "returned"
    with pytest.raises(ValidationFailed) as refused:
        handlers.update_report(office, MEMBER, report["id"], dict(
            REPORT, co_author_ids=[OUTSIDER["id"]]))
    assert list(refused.value.errors) == ["co_author_ids"]


@both_backends
def test_a_decided_report_keeps_its_co_authors(office):
    report = handlers.create_report(office, MEMBER, dict(REPORT, co_author_ids=[
        OUTSIDER["id"]]))["report"]
    handlers.on_review_events(office, events.parse_event(dict(events.new_event(
        "report_adopted", EDITOR["id"], report["id"], report={
            k: report[k] for k in ("id", "author_id", "co_author_ids", "unit_id", "title",
                                   "category", "submitted_at")}, mode="single",
        level="county", decided_on=officetime.today().isoformat()),
        occurred_at=datetime.now(timezone.utc).isoformat())))
    before = stored(office)
    with pytest.raises(Exception) as refused:
        handlers.decline_co_authorship(office, OUTSIDER, report["id"])
    assert type(refused.value).__name__ == "Conflict"
    assert stored(office) == before
    assert handlers.get_report(office, MEMBER, report["id"])["co_author_ids"] == [
        OUTSIDER["id"]]
