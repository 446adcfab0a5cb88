"""Intake's part of the office fit (docs/office.md) on SQLite and PostgreSQL: search in every section, the urgent
mark, a hand-off's unit named in the decision (the unit reads the report with the
hand-off, in review), and no report counting for a government department."""
from datetime import datetime, timedelta, timezone

import pytest

from minyi_common import events
from minyi_common.errors import ValidationFailed
from sqlalchemy import event

from minyi_common.testing import both_backends
from services.intake import handlers
from services.intake.adapters.repository import IntakeRepository

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
def test_a_search_counts_its_first_matches_and_says_when_there_are_more(db, monkeypatch):
    for n in range(4):
        handlers.create_report(db, AUTHOR, dict(REPORT, title=f"关于养老服务的建议（{n}）"))
    handlers.create_report(db, AUTHOR, dict(REPORT, title="关于停车难的建议"))
    monkeypatch.setattr(IntakeRepository, "SEARCH_COUNT_LIMIT", 3)
    found = handlers.list_reports(db, EDITOR, {"q": "养老服务", "page_size": 2, "page": 2})
    assert (found["total"], found["total_exact"], len(found["items"])) == (3, False, 2)
    found = handlers.list_reports(db, EDITOR, {"q": "停车难"})
    assert (found["total"], found["total_exact"]) == (1, True)
    everything = handlers.list_reports(db, EDITOR, {})  # a list without words counts all
    assert (everything["total"], everything["total_exact"]) == (5, True)


@both_backends
@pytest.mark.parametrize("window", [1, 3, 5, 100])
def test_a_search_pages_the_same_whether_its_matches_are_new_or_old(db, monkeypatch, window):
    """The newest reports are looked through first: each page must be what reading every
    report would give, newest first, whatever the window and wherever the matches are."""
    made = []
    for n in range(9):
        words = ("养老" if n % 2 else "停车") + ("鹿鸣乡" if n in (0, 1, 6) else "")
        made.append(handlers.create_report(db, AUTHOR, dict(
            REPORT, title=f"关于{words}的建议（{n}）"))["report"]["title"])
    monkeypatch.setattr(IntakeRepository, "SEARCH_WINDOW", window)
    monkeypatch.setattr(IntakeRepository, "SEARCH_COUNT_LIMIT", 4)
    for words, matching in (("停车", [t for t in made if "停车" in t]),
                            ("鹿鸣乡", [t for t in made if "鹿鸣乡" in t]),
                            ("建议", made), ("不存在", [])):
        newest_first, pages = matching[::-1], []
        for page in (1, 2, 3, 4, 5):
            found = handlers.list_reports(db, EDITOR, {"q": words, "page": page,
                                                       "page_size": 2})
            pages += [r["title"] for r in found["items"]]
            assert found["total"] == min(len(matching), 4)
            assert found["total_exact"] is (len(matching) <= 4)
        assert pages == newest_first, (words, window)


@pytest.mark.parametrize("backend", ["postgresql"])  # the trigram index is PostgreSQL's
def test_postgresql_looks_words_up_in_the_trigram_index_when_they_have_a_trigram(db):
    handlers.create_report(db, AUTHOR, dict(REPORT, title="关于供水管网改造的建议"))

    def plans(words: str) -> str:
        """The plans of what a search asks, as the planner would run them on a table
        too big to read whole."""
        asked = []
        listen = lambda conn, cursor, sql, params, *_: asked.append((sql, params))  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listen)
        try:
            assert handlers.list_reports(db, EDITOR, {"q": words})["total"] == 1
        finally:
            event.remove(db.engine, "before_cursor_execute", listen)
        found = []
        with db.engine.begin() as connection:
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
            for sql, params in asked:
                if sql.lstrip().upper().startswith("SELECT"):
                    cursor = connection.connection.cursor()
                    cursor.execute("EXPLAIN " + sql, params)
                    found += [row[0] for row in cursor.fetchall()]
        return "\n".join(found)

    # The query's expression must be the index's, character for character.
    assert "ix_reports_searched" in plans("管网改造")
    # Two characters have no trigram: the index would be read whole, to no use.
    assert "ix_reports_searched" not in plans("管网")


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
