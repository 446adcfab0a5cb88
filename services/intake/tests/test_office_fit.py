"""Intake's part of the office fit (docs/office.md) on SQLite and PostgreSQL: search in every section, the urgent
mark, and a report handed to a town office becoming visible to that unit's admins."""
from datetime import datetime, timedelta, timezone

from minyi_common.testing import both_backends
from services.intake import handlers

from .test_races import AUTHOR, REPORT, db, review_event  # noqa: F401 (fixture)

CLERK = {"id": "clerk-1", "username": "town", "roles": ["unit_admin"], "unit_ids": ["town-1"]}
EDITOR = {"id": "editor-1", "username": "zhao", "roles": ["editor"], "unit_ids": []}


def titles(db, principal, **filters):
    return [r["title"] for r in handlers.list_reports(db, principal, filters)["items"]]


@both_backends
def test_search_finds_words_in_analysis_and_suggestions(db):
    handlers.create_report(db, AUTHOR, dict(REPORT, title="关于供水管网改造的建议",
                                            analysis=REPORT["analysis"] + "水表井年久失修。"))
    handlers.create_report(db, AUTHOR, dict(REPORT, title="关于村级管水员培训的建议",
                                            suggestions=REPORT["suggestions"] + "开展季度轮训。"))
    assert titles(db, EDITOR, q="水表井") == ["关于供水管网改造的建议"]
    assert titles(db, EDITOR, q="季度轮训") == ["关于村级管水员培训的建议"]
    assert titles(db, AUTHOR, q="不存在的词") == []
    assert len(titles(db, EDITOR, mine="false")) == 2  # "false" means false
    assert titles(db, EDITOR, mine="true") == []


@both_backends
def test_urgent_travels_with_the_report_and_a_hand_off_opens_it_to_the_town(db):
    created = handlers.create_report(db, AUTHOR, dict(REPORT, urgent=True))["report"]
    assert created["urgent"] is True
    outbox = db.metadata.tables["outbox"]
    with db.engine.connect() as connection:
        body = connection.execute(outbox.select()).first().body
    assert '"urgent": true' in body  # review and notify learn it from the event
    assert handlers.list_reports(db, CLERK, {})["total"] == 0
    report = {**created, "submitted_at": created["submitted_at"]}
    at = datetime.now(timezone.utc) + timedelta(seconds=1)
    handlers.on_review_events(db, review_event(
        "report_rejected", report, at, reason_code="local_matter", comment="请镇里办理",
        handoff_unit_id="town-1", handoff_unit_name="城关镇政协工作室"))
    seen = handlers.get_report(db, CLERK, created["id"])
    assert seen["handoff_unit_id"] == "town-1" and seen["status"] == "rejected"
    assert seen["decision"]["handoff_unit_name"] == "城关镇政协工作室"
    assert [r["id"] for r in handlers.list_reports(db, CLERK, {})["items"]] == [created["id"]]
    other = {**CLERK, "unit_ids": ["town-2"]}
    assert handlers.list_reports(db, other, {})["total"] == 0
