"""Intake's part of the office fit (docs/office.md) on SQLite and PostgreSQL: search in every section, the urgent
mark, a hand-off's unit named in the decision (the unit reads the report with the
hand-off, in review), and no report counting for a government department."""
from datetime import datetime, timedelta, timezone

import pytest

from minyi_common import events
from minyi_common.errors import ValidationFailed
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
def test_urgent_travels_with_the_report_and_a_hand_off_is_named_in_the_decision(db):
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
    seen = handlers.get_report(db, AUTHOR, created["id"])
    assert seen["status"] == "rejected"
    assert seen["decision"]["handoff_unit_name"] == "城关镇政协工作室"
    # The town's admins read it on their hand-offs page (review), not among reports.
    assert handlers.list_reports(db, CLERK, {})["total"] == 0


@both_backends
def test_no_report_counts_for_a_government_department(db):
    handlers.on_directory_events(db, events.parse_event(events.new_event(
        "directory.unit_upserted", "admin", unit={"id": "water", "name": "县水利局",
                                                  "kind": "department"})))
    clerk = {**AUTHOR, "roles": ["unit_admin"], "unit_ids": ["water"]}
    with pytest.raises(ValidationFailed) as refused:
        handlers.create_report(db, clerk, dict(REPORT, unit_id="water"))
    assert "unit_id" in refused.value.errors
    assert handlers.list_reports(db, EDITOR, {})["total"] == 0
    # Written for no unit, the department's admin may still send a report as a person.
    assert handlers.create_report(db, clerk, REPORT)["report"]["unit_id"] is None
