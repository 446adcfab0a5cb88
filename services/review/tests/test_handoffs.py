"""Hand-offs (转办, docs/handoffs.md) on SQLite and PostgreSQL: who may hand over what to
whom, the unit's reply, the author's rating, the reminders, and each with its event."""
import json
from datetime import datetime, timedelta, timezone

import pytest

from minyi_common import events, officetime
from minyi_common.db import Database
from minyi_common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from minyi_common.testing import both_backends
from services.review import handlers
from services.review.adapters.orm import metadata
from services.review.adapters.repository import ReviewRepository
from services.review.handlers import handoffs
from services.review.similarity import SimilarityIndex

EDITOR = {"id": "editor-1", "roles": ["editor"], "unit_ids": []}
TOWN_ADMIN = {"id": "clerk", "roles": ["unit_admin"], "unit_ids": ["town"]}
DEPT_ADMIN = {"id": "dept-clerk", "roles": ["unit_admin"], "unit_ids": ["water"]}
AUTHOR = {"id": "author", "roles": ["member"], "unit_ids": []}
STRANGER = {"id": "someone", "roles": ["member"], "unit_ids": []}


class Settings:
    level, office_name = "county", "某某县政协办公室"


def arrive(db, report_id):
    when = datetime.now(timezone.utc)
    body = events.new_event("report_submitted", "author", report_id, report={
        "id": report_id, "author_id": "author", "co_author_ids": ["co"], "unit_id": None,
        "title": f"关于{report_id}的建议", "category": "rural", "situation": "情况" * 30,
        "analysis": f"分析{report_id}" * 10, "suggestions": "建议" * 20,
        "submitted_at": when.isoformat()})
    handlers.on_report_events(db, SimilarityIndex(), events.parse_event(body))


def unit(db, uid, kind, name):
    handlers.on_directory_events(db, events.parse_event(events.new_event(
        "directory.unit_upserted", "admin", unit={"id": uid, "name": name, "kind": kind})))


def outbox(db, event_type):
    table = metadata.tables["outbox"]
    with db.engine.connect() as connection:
        return [json.loads(r.body) for r in connection.execute(
            table.select().where(table.c.event_type == event_type).order_by(table.c.id))]


def due(days):
    return (officetime.today() + timedelta(days=days)).isoformat()


@pytest.fixture
def db(databases):
    database = Database(databases.url("review"), metadata)
    unit(database, "town", "town_office", "城关镇政协工作室")
    unit(database, "water", "department", "县水利局")
    unit(database, "party", "party", "民盟县委")
    yield database
    database.dispose()


@pytest.fixture
def adopted(db):
    arrive(db, "r1")
    handlers.decide(db, Settings, EDITOR, "r1", "adopt", {})
    return "r1"


@both_backends
def test_an_adopted_report_goes_to_a_department_and_comes_back_rated(db, adopted):
    made = handoffs.create(db, EDITOR, adopted, {"unit_id": "water", "due_on": due(10),
                                                 "note": "请研究办理"})
    assert made["unit_name"] == "县水利局" and made["reply"] is None and not made["overdue"]
    assert made["report"]["title"] == "关于r1的建议"
    created = outbox(db, "handoff_created")
    assert len(created) == 1 and created[0]["handoff"]["unit_id"] == "water"
    assert created[0]["report"]["author_id"] == "author"

    # The department's admin sees it, the town office's does not.
    assert [h["id"] for h in handoffs.listed(db, DEPT_ADMIN, {})["items"]] == [made["id"]]
    assert handoffs.listed(db, TOWN_ADMIN, {})["items"] == []
    with pytest.raises(Forbidden):
        handoffs.listed(db, AUTHOR, {})
    with pytest.raises(NotFound):
        handoffs.reply(db, TOWN_ADMIN, made["id"], {"text": "已办", "resolution": "resolved"})
    # The author cannot rate what has not been answered.
    with pytest.raises(Conflict):
        handoffs.rate(db, AUTHOR, made["id"], {"rating": "satisfied"})

    first = handoffs.reply(db, DEPT_ADMIN, made["id"], {"text": "已列入明年计划",
                                                        "resolution": "planned"})
    assert first["reply"]["resolution"] == "planned"
    final = handoffs.reply(db, DEPT_ADMIN, made["id"], {"text": "渠道已修复",
                                                        "resolution": "resolved"})
    assert final["reply"]["text"] == "渠道已修复"
    assert [e["handoff"]["resolution"] for e in outbox(db, "handoff_replied")] == [
        "planned", "resolved"]

    # The author (not a co-author, not a stranger) sees the reply and rates it once.
    seen = handoffs.of_report(db, AUTHOR, adopted)["items"]
    assert seen[0]["reply"]["resolution"] == "resolved"
    with pytest.raises(NotFound):
        handoffs.of_report(db, STRANGER, adopted)
    with pytest.raises(Forbidden):
        handoffs.rate(db, {"id": "co", "roles": ["member"], "unit_ids": []}, made["id"],
                      {"rating": "satisfied"})
    rated = handoffs.rate(db, AUTHOR, made["id"], {"rating": "basically_satisfied",
                                                   "comment": "还需巩固"})
    assert rated["rating"]["rating"] == "basically_satisfied"
    with pytest.raises(Conflict):
        handoffs.rate(db, AUTHOR, made["id"], {"rating": "dissatisfied"})
    with pytest.raises(Conflict):  # a rated reply no longer changes
        handoffs.reply(db, DEPT_ADMIN, made["id"], {"text": "补充", "resolution": "resolved"})
    assert [e["handoff"]["rating"] for e in outbox(db, "handoff_rated")] == [
        "basically_satisfied"]
    history = [h["action"] for h in handlers.get_case(db, EDITOR, adopted)["history"]]
    assert history[-4:] == ["handed_off", "handoff_replied", "handoff_replied", "handoff_rated"]


@both_backends
def test_what_cannot_be_handed_over_is_refused_and_nothing_is_stored(db):
    arrive(db, "pending")
    with pytest.raises(Conflict):  # not decided yet
        handoffs.create(db, EDITOR, "pending", {"unit_id": "town", "due_on": due(5)})
    handlers.decide(db, Settings, EDITOR, "pending", "adopt", {})
    for body, field in (({"unit_id": "party", "due_on": due(5)}, "unit_id"),
                        ({"unit_id": "nowhere", "due_on": due(5)}, "unit_id"),
                        ({"unit_id": "town", "due_on": due(-1)}, "due_on"),
                        ({"unit_id": "town", "due_on": due(400)}, "due_on"),
                        ({"unit_id": "town", "due_on": "明天"}, "due_on"),
                        ({"due_on": due(3)}, "unit_id"),
                        ({"unit_id": "town", "due_on": due(3), "note": "x" * 501}, "note")):
        with pytest.raises(ValidationFailed) as refused:
            handoffs.create(db, EDITOR, "pending", body)
        assert field in refused.value.errors, body
    with pytest.raises(Forbidden):
        handoffs.create(db, TOWN_ADMIN, "pending", {"unit_id": "town", "due_on": due(5)})
    with pytest.raises(NotFound):
        handoffs.create(db, EDITOR, "missing", {"unit_id": "town", "due_on": due(5)})
    assert outbox(db, "handoff_created") == []
    handoffs.create(db, EDITOR, "pending", {"unit_id": "town", "due_on": due(5)})
    with pytest.raises(Conflict):  # once per unit
        handoffs.create(db, EDITOR, "pending", {"unit_id": "town", "due_on": due(9)})
    handoffs.create(db, EDITOR, "pending", {"unit_id": "water", "due_on": due(9)})
    assert len(handoffs.of_report(db, EDITOR, "pending")["items"]) == 2
    assert len(outbox(db, "handoff_created")) == 2
    for body, field in (({"text": "", "resolution": "resolved"}, "text"),
                        ({"text": "已办", "resolution": "done"}, "resolution")):
        made = handoffs.listed(db, TOWN_ADMIN, {})["items"][0]
        with pytest.raises(ValidationFailed) as refused:
            handoffs.reply(db, TOWN_ADMIN, made["id"], body)
        assert field in refused.value.errors
    assert outbox(db, "handoff_replied") == []


@both_backends
def test_a_local_matter_is_rejected_and_handed_over_in_one_step(db):
    arrive(db, "local")
    with pytest.raises(ValidationFailed) as refused:
        handlers.decide(db, Settings, EDITOR, "local", "reject", {
            "reason_code": "local_matter", "comment": "属地事项",
            "handoff": {"unit_id": "party", "due_on": due(7)}})
    assert "unit_id" in refused.value.errors["handoff"]
    with pytest.raises(ValidationFailed) as refused:
        handlers.decide(db, Settings, EDITOR, "local", "reject", {
            "reason_code": "duplicate", "comment": "重复",
            "handoff": {"unit_id": "town", "due_on": due(7)}})
    assert "handoff" in refused.value.errors
    assert handlers.get_case(db, EDITOR, "local")["status"] == "submitted"
    handlers.decide(db, Settings, EDITOR, "local", "reject", {
        "reason_code": "local_matter", "comment": "属地事项",
        "handoff": {"unit_id": "town", "due_on": due(7), "note": "请镇里协调"}})
    case = handlers.get_case(db, EDITOR, "local")
    assert case["status"] == "rejected" and case["handoffs"][0]["note"] == "请镇里协调"
    assert len(outbox(db, "handoff_created")) == 1


@both_backends
def test_reminders_go_once_before_the_due_date_and_once_when_overdue(db, adopted):
    soon = handoffs.create(db, EDITOR, adopted, {"unit_id": "town", "due_on": due(2)})
    later = handoffs.create(db, EDITOR, adopted, {"unit_id": "water", "due_on": due(20)})
    today = officetime.today()
    assert handoffs.send_reminders(db, today) == 1
    assert handoffs.send_reminders(db, today) == 0  # another instance's tick: nothing
    # Three days after the due date, still unanswered: overdue, once.
    assert handoffs.send_reminders(db, today + timedelta(days=3)) == 1
    assert handoffs.send_reminders(db, today + timedelta(days=4)) == 0
    reminders = [(e["handoff"]["id"], e["reminder"]) for e in outbox(db, "handoff_reminder_due")]
    assert reminders == [(soon["id"], "due_soon"), (soon["id"], "overdue")]
    # An answered hand-off is never overdue.
    handoffs.reply(db, EDITOR, later["id"], {"text": "纸质办复已录入", "resolution": "resolved"})
    assert handoffs.send_reminders(db, today + timedelta(days=30)) == 0


@both_backends
def test_editors_list_the_overdue_ones(db, adopted):
    late = handoffs.create(db, EDITOR, adopted, {"unit_id": "town", "due_on": due(0)})
    handoffs.create(db, EDITOR, adopted, {"unit_id": "water", "due_on": due(5)})
    table = metadata.tables["handoffs"]
    with db.engine.begin() as connection:  # it was due yesterday
        connection.execute(table.update().where(table.c.id == late["id"]).values(
            due_on=officetime.today() - timedelta(days=1)))
    overdue = handoffs.listed(db, EDITOR, {"overdue": "true"})["items"]
    assert [h["id"] for h in overdue] == [late["id"]] and overdue[0]["overdue"]
    assert handoffs.listed(db, EDITOR, {})["total"] == 2
    with pytest.raises(ValidationFailed) as refused:
        handoffs.listed(db, EDITOR, {"overdue": "perhaps"})
    assert "overdue" in refused.value.errors


@both_backends
def test_two_instances_that_find_the_same_due_hand_off_remind_once(db, adopted):
    """Each instance's timer reads what is due, then claims each reminder: the one that
    claims second finds it taken and sends nothing."""
    handoffs.create(db, EDITOR, adopted, {"unit_id": "town", "due_on": due(1)})
    today = officetime.today()
    found = []
    for _ in range(2):
        with db.unit_of_work(read_only=True) as uow:
            found.append(ReviewRepository(uow).handoffs_to_remind(today, due_soon(today)))
    assert len(found[0]) == len(found[1]) == 1
    claimed = []
    for rows in found:
        with db.unit_of_work() as uow:
            claimed.append(ReviewRepository(uow).mark_reminded(rows[0]["id"], "due_soon"))
            uow.commit()
    assert claimed == [True, False]


def due_soon(today):
    return today + timedelta(days=handoffs.REMIND_DAYS_BEFORE)
