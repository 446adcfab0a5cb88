"""Review's part of the office fit (docs/office.md) on SQLite and PostgreSQL: urgent reports first in the queue,
a local matter handed only to a town office, the queue by office days."""
import json
from datetime import datetime, timedelta, timezone

import pytest

from minyi_common import events
from minyi_common.errors import ValidationFailed
from minyi_common.testing import both_backends
from services.review import handlers
from services.review.adapters.orm import metadata
from services.review.similarity import SimilarityIndex

EDITOR = {"id": "editor-1", "roles": ["editor"], "unit_ids": []}


class Settings:
    level, office_name = "county", "某某县政协办公室"


def arrive(db, report_id, when, urgent=False):
    body = events.new_event("report_submitted", "author", report_id, report={
        "id": report_id, "author_id": "author", "co_author_ids": [], "unit_id": None,
        "title": f"关于{report_id}的建议", "category": "rural", "situation": "情况" * 30,
        "analysis": f"分析{report_id}" * 10, "suggestions": "建议" * 20, "urgent": urgent,
        "submitted_at": when.isoformat()})
    body["occurred_at"] = when.isoformat()
    handlers.on_report_events(db, SimilarityIndex(), events.parse_event(body))


def unit(db, uid, kind):
    handlers.on_directory_events(db, events.parse_event(events.new_event(
        "directory.unit_upserted", "admin", unit={"id": uid, "name": f"单位{uid}", "kind": kind})))


@both_backends
def test_urgent_reports_come_first_then_the_oldest(db):
    start = datetime(2026, 9, 30, 15, 0, tzinfo=timezone.utc)
    arrive(db, "old", start)
    arrive(db, "new", start + timedelta(hours=2))
    arrive(db, "alarm", start + timedelta(hours=3), urgent=True)
    queue = handlers.queue(db, EDITOR, {})["items"]
    assert [i["id"] for i in queue] == ["alarm", "old", "new"] and queue[0]["urgent"]
    assert [i["id"] for i in handlers.queue(db, EDITOR, {"urgent": "true"})["items"]] == ["alarm"]
    # 15:00 UTC is 23:00 on 30 Sep in Beijing; 17:00 and 18:00 UTC are 1 Oct.
    october = handlers.queue(db, EDITOR, {"submitted_from": "2026-10-01",
                                          "submitted_to": "2026-10-01"})["items"]
    assert sorted(i["id"] for i in october) == ["alarm", "new"]
    with pytest.raises(ValidationFailed) as refused:
        handlers.queue(db, EDITOR, {"submitted_from": "30/09/2026"})
    assert "submitted_from" in refused.value.errors


@both_backends
def test_the_older_hand_off_form_goes_to_a_town_office_with_local_matter_only(db):
    now = datetime.now(timezone.utc)
    arrive(db, "r1", now)
    unit(db, "town", "town_office")
    unit(db, "party", "party")
    for body, field in (({"reason_code": "duplicate", "comment": "重复", "handoff_unit_id": "town"},
                         "handoff_unit_id"),
                        ({"reason_code": "local_matter", "comment": "属地",
                          "handoff_unit_id": "party"}, "handoff_unit_id"),
                        ({"reason_code": "local_matter", "comment": "属地",
                          "handoff_unit_id": "nowhere"}, "handoff_unit_id")):
        with pytest.raises(ValidationFailed) as refused:
            handlers.decide(db, Settings, EDITOR, "r1", "reject", body)
        assert field in refused.value.errors
    case = handlers.decide(db, Settings, EDITOR, "r1", "reject", {
        "reason_code": "local_matter", "comment": "请镇里办理", "handoff_unit_id": "town"})
    assert case["status"] == "rejected"
    handed = handlers.get_case(db, EDITOR, "r1")["handoffs"]
    assert [(h["unit_id"], h["unit_name"]) for h in handed] == [("town", "单位town")]
    outbox = metadata.tables["outbox"]
    with db.engine.connect() as connection:
        rejected = [r.body for r in connection.execute(outbox.select().where(
            outbox.c.event_type == "report_rejected"))]
    assert len(rejected) == 1 and '"handoff_unit_name": "单位town"' in rejected[0]


@both_backends
def test_a_report_entered_on_behalf_keeps_its_day_handed_in_through_every_decision(db):
    """代录: the day handed in decides the period the report counts in, so each decision
    passes it on to scoring with the record."""
    when = datetime(2026, 10, 3, 2, 0, tzinfo=timezone.utc)
    body = events.new_event("report_submitted", "editor-1", "paper", report={
        "id": "paper", "author_id": "author", "co_author_ids": [], "unit_id": None,
        "title": "关于纸质来稿的建议", "category": "rural", "situation": "情况" * 30,
        "analysis": "分析" * 10, "suggestions": "建议" * 20, "submitted_at": when.isoformat(),
        "entered_by": "editor-1", "received_on": "2026-09-28"})
    body["occurred_at"] = when.isoformat()
    handlers.on_report_events(db, SimilarityIndex(), events.parse_event(body))
    case = handlers.get_case(db, EDITOR, "paper")
    assert (case["entered_by"], case["received_on"]) == ("editor-1", "2026-09-28")
    handlers.decide(db, Settings, EDITOR, "paper", "retain", {"comment": "留存备查"})
    with db.engine.connect() as connection:
        bodies = [r.body for r in connection.execute(metadata.tables["outbox"].select())]
    [retained] = [events.parse_event(json.loads(b)) for b in bodies]
    assert retained["report"]["received_on"].isoformat() == "2026-09-28"
    assert retained["report"]["entered_by"] == "editor-1"


def _intake_event(kind, when, co_author_ids, **fields):
    body = events.new_event(kind, "author", "named", report={
        "id": "named", "author_id": "author", "co_author_ids": co_author_ids, "unit_id": None,
        "title": "关于联名信息的建议", "category": "rural", "situation": "情况" * 30,
        "analysis": "分析" * 10, "suggestions": "建议" * 20,
        "submitted_at": when.isoformat()}, **fields)
    body["occurred_at"] = when.isoformat()
    return events.parse_event(body)


@both_backends
def test_a_co_author_who_left_stays_out_whatever_order_the_events_come_in(db):
    start = datetime(2026, 10, 3, 2, 0, tzinfo=timezone.utc)
    left = _intake_event("report_co_author_declined", start + timedelta(minutes=5), ["li"],
                         person_id="zhou", person_name="周")
    # Before its submission reached review: not applied, so retried later.
    with pytest.raises(Exception) as early:
        handlers.on_co_author_events(db, left)
    assert type(early.value).__name__ == "NotFound"
    handlers.on_report_events(db, SimilarityIndex(), _intake_event(
        "report_submitted", start, ["li", "zhou"]))
    handlers.on_co_author_events(db, left)
    handlers.on_co_author_events(db, left)  # a replay changes nothing
    case = handlers.get_case(db, EDITOR, "named")
    assert case["co_author_ids"] == ["li"]
    assert [h["action"] for h in case["history"]].count("co_author_declined") == 1
    # A resubmission written before they left, arriving late, does not bring them back.
    handlers.decide(db, Settings, EDITOR, "named", "return", {"comment": "请补充"})
    handlers.on_report_events(db, SimilarityIndex(), _intake_event(
        "report_resubmitted", start + timedelta(minutes=9), ["li", "zhou"]))
    case = handlers.get_case(db, EDITOR, "named")
    assert case["status"] == "resubmitted" and case["co_author_ids"] == ["li"]
    handlers.decide(db, Settings, EDITOR, "named", "adopt", {})
    with db.engine.connect() as connection:
        bodies = [json.loads(r.body) for r in connection.execute(
            metadata.tables["outbox"].select())]
    adopted = [b for b in bodies if b["event_type"] == "report_adopted"]
    assert adopted and adopted[0]["report"]["co_author_ids"] == ["li"]


@both_backends
def test_an_outcome_of_a_merged_piece_has_one_id_on_every_source(db):
    start = datetime(2026, 10, 3, 2, 0, tzinfo=timezone.utc)
    arrive(db, "one", start)
    arrive(db, "two", start + timedelta(minutes=1))
    piece = handlers.merge(db, Settings, EDITOR, {
        "report_ids": ["one", "two"], "title": "关于两篇信息综合的建议", "analysis": "综合分析",
        "suggestions": "综合建议"})
    answer = handlers.decide(db, Settings, EDITOR, piece["id"], "outcomes", {
        "kind": "instructed", "level": "county", "date": "2026-10-05", "leader": "县长"})
    ids = {handlers.get_case(db, EDITOR, r)["outcomes"][-1]["id"] for r in ("one", "two")}
    assert ids == {answer["outcome_id"]}
    single = handlers.decide(db, Settings, EDITOR, "one", "outcomes", {
        "kind": "forwarded", "level": "city", "date": "2026-10-06"})
    assert single["outcomes"][-1]["id"] not in ids
