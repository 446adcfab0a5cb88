"""Scoring's use cases on a real database (SQLite and PostgreSQL): replay safety, rule
versions, standings, quotas, bulletins, awards, rebuild."""
import base64
import io
import json
import random
from datetime import date, datetime, timezone

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import select, update

from minyi_common import events
from minyi_common.db import Database, decode_json
from minyi_common.errors import Conflict, ValidationFailed
from minyi_common.testing import both_backends, emptied
from services.scoring import domain, handlers
from services.scoring.handlers import bulletins, quotas, rules, standings
from services.scoring.adapters.orm import (metadata, quarter_totals, report_records,
                                           score_lines)

ADMIN = {"id": "admin", "roles": ["admin"], "unit_ids": []}
EDITOR = {"id": "editor", "roles": ["editor"], "unit_ids": []}


class Settings:
    level = "county"
    office_name = "某某县政协办公室"


@pytest.fixture
def db(databases):
    url = databases.url("scoring")
    database = Database(url, metadata)
    handlers.ensure_default_rules(database)
    quotas.ensure_default_quotas(database)
    yield database
    database.dispose()


def at(day: date, hour=9):
    return datetime(day.year, day.month, day.day, hour, tzinfo=timezone.utc)


def event(event_type, report_id, when, author="zhang", co=(), unit="u1", **fields):
    body = events.new_event(event_type, "editor", report_id, report={
        "id": report_id, "author_id": author, "co_author_ids": list(co), "unit_id": unit,
        "title": f"关于{report_id}的建议", "category": "rural",
        "submitted_at": at(date(2026, 7, 1)).isoformat()}, **fields)
    body["occurred_at"] = when.isoformat()
    return events.parse_event(body)


def person(db, pid, name, roles, unit_ids=("u1",)):
    handlers.on_directory_events(db, events.parse_event(events.new_event(
        "directory.person_upserted", "admin", person={
            "id": pid, "username": pid, "display_name": name, "roles": list(roles),
            "unit_ids": list(unit_ids), "email": None, "active": True})))


def unit(db, uid, name):
    handlers.on_directory_events(db, events.parse_event(events.new_event(
        "directory.unit_upserted", "admin", unit={"id": uid, "name": name, "kind": "party"})))


def story(report_id="r1", co=("li",)):
    """Submitted, adopted, forwarded, then instructed by a city leader."""
    return [
        event("report_submitted", report_id, at(date(2026, 7, 1)), co=co),
        event("report_adopted", report_id, at(date(2026, 7, 10)), co=co, mode="single",
              level="county", decided_on="2026-07-10"),
        event("report_forwarded", report_id, at(date(2026, 7, 20)), co=co, outcome={
            "kind": "forwarded", "level": "county", "date": "2026-07-20"}),
        event("report_outcome_recorded", report_id, at(date(2026, 8, 5)), co=co, outcome={
            "kind": "instructed", "level": "city", "date": "2026-08-05", "leader": "市长"}),
    ]


def lines_of(db):
    with db.engine.connect() as connection:
        return sorted((r.report_id, r.subject_kind, r.subject_id, r.event, float(r.points),
                       r.rule_version, r.event_date.isoformat())
                      for r in connection.execute(select(score_lines)))


@both_backends
def test_duplicates_and_any_order_give_the_same_lines(db, databases):
    original = story()
    for e in original:
        handlers.on_report_events(db, Settings, e)
    expected = lines_of(db)
    # author: accepted 1 + adopted 5 + forwarded 1 + instructed (city) 10 = 17
    assert sum(l[4] for l in expected if l[2] == "zhang") == 17
    assert sum(l[4] for l in expected if l[2] == "li") == 8.5
    assert sum(l[4] for l in expected if l[2] == "u1") == 17

    shuffled = Database(databases.url("scoring"), metadata)
    handlers.ensure_default_rules(shuffled)
    replay = original + original[1:3]
    random.Random(3).shuffle(replay)
    for e in replay:
        handlers.on_report_events(shuffled, Settings, e)
    assert lines_of(shuffled) == expected
    shuffled.dispose()


def figures_of(db):
    with db.engine.connect() as connection:
        return sorted((r.subject_kind, r.subject_id, r.quarter, float(r.points), r.submitted,
                       r.adopted, r.upstream_adopted, r.instructions)
                      for r in connection.execute(select(quarter_totals)))


def records_of(db):
    with db.engine.connect() as connection:
        return sorted((r.report_id, r.status, r.status_at.isoformat(), r.submitted_on.isoformat(),
                       json.dumps(decode_json(r.decision), sort_keys=True),
                       json.dumps(decode_json(r.outcomes), sort_keys=True),
                       json.dumps(decode_json(r.co_author_ids)), r.unit_id, r.title)
                      for r in connection.execute(select(report_records)))


def told_of(db):
    outbox = metadata.tables["outbox"]
    with db.engine.connect() as connection:
        return [{k: body[k] for k in ("report_id", "person_id", "period", "points",
                                      "previous_points")}
                for body in (json.loads(r.body) for r in connection.execute(
                    select(outbox.c.body).where(outbox.c.event_type == "points_changed")
                    .order_by(outbox.c.id)))]


@both_backends
def test_a_whole_story_in_one_batch_scores_as_one_event_at_a_time(db, databases):
    """A batch reads its records and lines once and writes lines and totals once
    (handle_each's ``before`` and ``after``); each event must still see the record as the
    batch's earlier events left it, and each person is told the total as it stood after
    each move. Duplicates and any order give the same lines and totals."""
    original = story()
    for e in original:
        handlers.on_report_events(db, Settings, e)
    lines, figures, told, records = lines_of(db), figures_of(db), told_of(db), records_of(db)
    assert {t["person_id"] for t in told} == {"zhang", "li"} and len(told) == 6
    replay = original + original[1:3]
    random.Random(5).shuffle(replay)
    for events_ in (original, replay):
        batched = Database(databases.url("scoring"), metadata)
        try:
            emptied(batched)
            handlers.ensure_default_rules(batched)
            handlers.on_report_events(batched, Settings, *events_)
            assert lines_of(batched) == lines and figures_of(batched) == figures
            assert records_of(batched) == records  # what the next batch starts from
            if events_ is original:
                assert told_of(batched) == told
        finally:
            batched.dispose()


def test_points_changed_tells_each_person_their_new_quarter_total(db):
    for e in story():
        handlers.on_report_events(db, Settings, e)
    outbox = metadata.tables["outbox"]
    with db.engine.connect() as connection:
        bodies = [json.loads(r.body) for r in connection.execute(
            select(outbox.c.body).where(outbox.c.event_type == "points_changed")
            .order_by(outbox.c.id))]
    zhang = [(b["period"], b["points"]) for b in bodies if b["person_id"] == "zhang"]
    assert zhang == [("2026-Q3", 6), ("2026-Q3", 7), ("2026-Q3", 17)]
    assert [b["points"] for b in bodies if b["person_id"] == "li"] == [3, 3.5, 8.5]


def test_a_withdrawal_after_a_decision_changes_nothing(db):
    handlers.on_report_events(db, Settings, story()[1])
    handlers.on_report_events(db, Settings, event("report_withdrawn", "r1", at(date(2026, 7, 11))))
    assert sum(l[4] for l in lines_of(db) if l[2] == "zhang") == 6


@both_backends
def test_a_new_rule_version_applies_from_its_date(db):
    for e in story():
        handlers.on_report_events(db, Settings, e)
    doubled = [{"event": r.event, "level": r.level, "mode": r.mode, "points": float(r.points) * 2}
               for r in domain.DEFAULT_RULES]
    with pytest.raises(ValidationFailed) as caught:
        rules.add_rule_set(db, ADMIN, {"effective_from": "2026-08-01",
                                       "rules": [{"event": "adopted", "level": "moon",
                                                  "points": 1}]})
    assert "rules" in caught.value.errors
    version = rules.add_rule_set(db, ADMIN, {"effective_from": "2026-08-01", "rules": doubled})
    assert version["version"] == 2
    handlers.rebuild(db, "county")
    zhang = [(l[3], l[4], l[5]) for l in lines_of(db) if l[2] == "zhang"]
    assert sorted(zhang) == [("accepted", 1, 1), ("adopted", 5, 1), ("forwarded", 1, 1),
                             ("instructed", 20, 2), ("submitted", 0, 1)]
    assert [r["version"] for r in rules.list_rule_sets(db)] == [1, 2]


@both_backends
def test_standings_rank_everyone_including_those_with_nothing(db):
    unit(db, "u1", "民进县委会")
    unit(db, "u2", "农工党县委会")
    unit(db, "u3", "九三学社")
    person(db, "zhang", "张三", ["member"])
    person(db, "li", "李四", ["officer"])
    person(db, "wang", "王五", ["member"], ["u2"])
    person(db, "zhao", "赵六", ["editor"], [])
    for e in story("r1") + story("r2", co=()):
        handlers.on_report_events(db, Settings, e)
    handlers.on_report_events(db, Settings, event("report_adopted", "r3", at(date(2026, 7, 9)),
                                                 author="wang", unit="u2", mode="single",
                                                 level="county", decided_on="2026-07-09"))
    people = standings.standings(db, EDITOR, {"period": "2026-Q3", "kind": "person"})
    rows = {r["id"]: r for r in people["items"]}
    assert set(rows) == {"zhang", "li", "wang"}  # editors are not ranked
    assert rows["zhang"]["points"] == 34 and rows["zhang"]["rank"] == 1
    assert rows["zhang"]["adopted"] == 2 and rows["zhang"]["instructions"] == 2
    assert rows["li"]["points"] == 8.5 and rows["wang"]["points"] == 6
    units_ = standings.standings(db, EDITOR, {"period": "2026-Q3", "kind": "unit"})["items"]
    assert [(u["id"], u["points"], u["rank"]) for u in units_] == [
        ("u1", 34, 1), ("u2", 6, 2), ("u3", 0, 3)]
    officers = standings.standings(db, EDITOR, {"period": "2026-Q3", "role": "officer"})
    assert [r["id"] for r in officers["items"]] == ["li"]
    empty = standings.standings(db, EDITOR, {"period": "2026-Q1", "kind": "person"})["items"]
    assert {r["rank"] for r in empty} == {1} and {r["points"] for r in empty} == {0}
    with pytest.raises(ValidationFailed):
        standings.standings(db, EDITOR, {"period": "2026-Q9"})


@both_backends
def test_a_years_standings_add_up_its_quarters_whatever_the_period(db):
    """A year reads its own row per subject (kept beside the quarters'); a range of
    quarters, of years or a term adds up the rows that make it: all agree with the lines."""
    person(db, "zhang", "张三", ["member"])
    person(db, "li", "李四", ["officer"])
    for report_id, day, author in (("q2", date(2026, 5, 6), "zhang"),
                                   ("q3", date(2026, 8, 7), "zhang"),
                                   ("q4", date(2026, 11, 2), "li"),
                                   ("old", date(2025, 12, 30), "li")):
        handlers.on_report_events(db, Settings, event(
            "report_adopted", report_id, at(day), author=author, mode="single",
            level="county", decided_on=day.isoformat()))
    lines = lines_of(db)

    def from_lines(person_id, first, last):
        return sum(l[4] for l in lines
                   if l[1] == "person" and l[2] == person_id and first <= l[6] <= last)

    def points(period):
        found = standings.standings(db, EDITOR, {"period": period, "kind": "person"})["items"]
        return {r["id"]: r["points"] for r in found}

    for period, first, last in (("2026", "2026-01-01", "2026-12-31"),
                                ("2026-Q2..2026-Q3", "2026-04-01", "2026-09-30"),
                                ("2025-Q4..2026", "2025-10-01", "2026-12-31"),
                                ("2025..2026", "2025-01-01", "2026-12-31"),
                                ("term:十五届", "2021-01-01", "2025-12-31")):
        assert points(period) == {p: from_lines(p, first, last) for p in ("zhang", "li")}, \
            period
    assert points("2026")["zhang"] > 0 and points("2026")["li"] > 0
    # A rebuild keeps the year rows as the events left them.
    handlers.rebuild(db, "county")
    assert handlers.check(db, "county")["ok"] and points("2026") == {
        p: from_lines(p, "2026-01-01", "2026-12-31") for p in ("zhang", "li")}


def test_bulletin_files_list_every_unit_with_chinese_headers_and_totals(db):
    unit(db, "u1", "民进县委会")
    unit(db, "u9", "无人报送的单位")
    person(db, "zhang", "张三", ["member"])
    person(db, "li", "李四", ["officer"])
    for e in story():
        handlers.on_report_events(db, Settings, e)
    xlsx = bulletins.bulletin_file(db, Settings, EDITOR, "2026-Q3", "xlsx")
    assert xlsx["filename"] == "社情民意信息工作通报（2026年第三季度）.xlsx"
    book = load_workbook(io.BytesIO(base64.b64decode(xlsx["content_base64"])))
    assert book.sheetnames == ["单位", "民主党派", "信息员", "委员"]
    rows = list(book["单位"].iter_rows(values_only=True))
    assert rows[1] == ("排名", "单位名称", "类别", "报送篇数", "采用篇数", "上级采用", "领导批示", "积分")
    assert [r[1] for r in rows[2:-1]] == ["民进县委会", "无人报送的单位"]
    assert rows[2][7] == 17 and isinstance(rows[2][7], int)  # 17, not 17.0
    assert rows[3][7] == 0  # the unit with nothing is listed with zero
    assert rows[-1][:2] == ("合计", "2个") and rows[-1][7] == 17
    members = list(book["委员"].iter_rows(values_only=True))
    assert [r[1] for r in members[2:-1]] == ["张三"] and members[2][2] == "民进县委会"
    assert members[-1][:2] == ("合计", "1人")
    officers = list(book["信息员"].iter_rows(values_only=True))
    assert [(r[1], r[7]) for r in officers[2:-1]] == [("李四", 8.5)]  # the co-author's share

    csv_text = base64.b64decode(bulletins.bulletin_file(db, Settings, EDITOR, "2026-Q3", "csv")
                                ["content_base64"]).decode("utf-8-sig")
    assert "无人报送的单位" in csv_text and "信息员报送采用情况" in csv_text
    assert "17.0" not in csv_text and ",8.5" in csv_text
    with pytest.raises(ValidationFailed):
        bulletins.bulletin_file(db, Settings, EDITOR, "2026-Q3", "pdf")

    document = bulletins.bulletin_file(db, Settings, EDITOR, "2026-Q3", "docx")
    doc = Document(io.BytesIO(base64.b64decode(document["content_base64"])))
    text = [p.text for p in doc.paragraphs if p.text]
    assert text[0] == "关于2026年第三季度社情民意信息工作情况的通报"
    # Q2 had nothing: every figure is compared with it.
    assert text[2] == ("2026年第三季度，全县共报送社情民意信息1篇，比上期增加1篇；编发采用1篇，"
                       "比上期增加1篇；被上级采用0篇，与上期持平；获领导批示1次，比上期增加1次。"
                       "现将有关情况通报如下。")
    assert "（一）民主党派" in text and "二、信息员报送采用情况" in text
    assert [c.text for c in doc.tables[0].rows[1].cells] == [
        "1", "民进县委会", "1", "1", "0", "1", "17"]
    assert len(doc.inline_shapes) == 1  # the chart of points by unit
    published = bulletins.publish_bulletin(db, EDITOR, "2026-Q3")
    assert published["published_at"]
    with pytest.raises(Conflict):
        bulletins.publish_bulletin(db, EDITOR, "2026-Q3")


def test_a_name_that_looks_like_a_formula_stays_text_in_the_files(db):
    formula = '=HYPERLINK("http://evil.example","点我")'
    unit(db, "u1", formula)
    unit(db, "u2", "+1-2")
    for e in story():
        handlers.on_report_events(db, Settings, e)
    csv_text = base64.b64decode(bulletins.bulletin_file(db, Settings, EDITOR, "2026-Q3", "csv")
                                ["content_base64"]).decode("utf-8-sig")
    assert "'=HYPERLINK" in csv_text and "'+1-2" in csv_text
    assert "\n1,=HYPERLINK" not in csv_text and ",=HYPERLINK" not in csv_text
    xlsx = bulletins.bulletin_file(db, Settings, EDITOR, "2026-Q3", "xlsx")
    sheet = load_workbook(io.BytesIO(base64.b64decode(xlsx["content_base64"])))["单位"]
    cells = [c for row in sheet.iter_rows() for c in row if c.value == formula]
    assert cells and all(c.data_type == "s" for c in cells)  # text, not a formula


def test_the_bulletin_counts_reports_once_and_compares_with_the_quarter_before(db):
    unit(db, "u1", "民进县委会")
    person(db, "zhang", "张三", ["member"])
    for e in story():  # Q3: one report, co-authored, adopted and instructed
        handlers.on_report_events(db, Settings, e)
    q3 = bulletins.bulletin(db, EDITOR, "2026-Q3")
    assert q3["summary"] == {"submitted": 1, "adopted": 1, "upstream_adopted": 0,
                             "instructions": 1}
    assert q3["previous_period"] == "2026-Q2" and q3["previous"]["submitted"] == 0
    q4 = bulletins.bulletin(db, EDITOR, "2026-Q4")
    assert q4["summary"]["submitted"] == 0 and q4["previous"] == q3["summary"]
    assert bulletins.bulletin(db, EDITOR, "2025..2026")["previous"] is None


def test_quota_and_one_reminder_per_quarter(db):
    person(db, "zhang", "张三", ["member"])
    person(db, "li", "李四", ["officer"])
    person(db, "busy", "勤快", ["member"])
    for n in range(3):
        handlers.on_report_events(db, Settings, event("report_submitted", f"b{n}",
                                                     at(date(2026, 7, 1)), author="busy"))
    owed = {r["person_id"]: r for r in quotas.quota(db, EDITOR, 2026)["items"]}
    assert (owed["zhang"]["quota"], owed["zhang"]["owed"]) == (4, 4)
    assert (owed["li"]["quota"], owed["busy"]["submitted"], owed["busy"]["owed"]) == (6, 3, 1)
    # A member sees their own row only (the web app's desk shows it).
    own = quotas.quota(db, {"id": "zhang", "roles": ["member"], "unit_ids": []}, 2026)
    assert [(r["person_id"], r["owed"]) for r in own["items"]] == [("zhang", 4)]

    assert quotas.send_quota_reminders(db, date(2026, 8, 15)) == 0  # not a last month
    # By the end of Q3 three quarters are due: member 3, officer 5 (4.5 rounded up).
    assert quotas.send_quota_reminders(db, date(2026, 9, 1)) == 2
    assert quotas.send_quota_reminders(db, date(2026, 9, 2)) == 0  # once per quarter
    outbox = metadata.tables["outbox"]
    with db.engine.connect() as connection:
        sent = {json.loads(r.body)["person_id"]: json.loads(r.body)["owed"] for r in
                connection.execute(select(outbox.c.body).where(
                    outbox.c.event_type == "quota_reminder_due"))}
    assert sent == {"zhang": 3, "li": 5}
    quotas.set_quota(db, ADMIN, {"role": "member", "year": 2026, "count": 2})
    assert {r["person_id"]: r["quota"] for r in quotas.quota(db, EDITOR, 2026)["items"]} \
        == {"zhang": 2, "li": 6, "busy": 2}


def test_awards_for_a_biennial_cycle(db):
    unit(db, "u1", "民进县委会")
    unit(db, "u2", "农工党县委会")
    person(db, "li", "李四", ["officer"])
    person(db, "zhang", "张三", ["member"])
    for e in story("r1", co=()) + story("r2", co=()):
        handlers.on_report_events(db, Settings, e)
    handlers.on_report_events(db, Settings, event(
        "report_outcome_recorded", "r2", at(date(2026, 9, 1)), outcome={
            "kind": "upstream_adopted", "level": "national", "mode": "single",
            "date": "2026-09-01"}))
    for n in range(2):
        handlers.on_report_events(db, Settings, event(
            "report_adopted", f"o{n}", at(date(2026, 7, 2)), author="li", unit="u2",
            mode="single", level="county", decided_on="2026-07-02"))
    found = bulletins.awards(db, EDITOR, {"period": "2025..2026", "tiers": "1,1,0"})
    assert [(u["id"], u["award"]) for u in found["advanced_units"]] == [("u1", "一等奖"),
                                                                      ("u2", "二等奖")]
    assert [o["id"] for o in found["excellent_officers"]] == ["li"]
    assert [(r["report_id"], r["author_id"], r["credit"]) for r in found["excellent_reports"]] \
        == [("r2", "zhang", None)]
    # The author withdraws consent to publication (an edited report's next event says so):
    # the list no longer names them.
    withheld = event("report_adopted", "r2", at(date(2026, 9, 2)), mode="single",
                     level="county", decided_on="2026-07-10")
    withheld["report"]["consent_to_publish"] = False
    handlers.on_report_events(db, Settings, withheld)
    found = bulletins.awards(db, EDITOR, {"period": "2025..2026", "tiers": "1,1,0"})
    assert [(r["report_id"], r["author_id"], r["credit"]) for r in found["excellent_reports"]] \
        == [("r2", None, "本刊编辑部")]
    assert bulletins.awards(db, EDITOR, {"period": "2025..2026",
                                         "min_adoptions": 3})["excellent_officers"] == []


@both_backends
def test_a_rebuild_restores_drifted_lines_and_keeps_the_totals(db):
    for e in story("r1") + story("r2"):
        handlers.on_report_events(db, Settings, e)
    before = handlers.totals(db)
    figures = quarter_table(db)
    assert figures[("person", "zhang", 20263)][:2] == (34.0, 2)  # points, submitted
    with db.engine.begin() as connection:
        connection.execute(update(score_lines).values(points=999))
    assert handlers.totals(db) != before
    assert handlers.rebuild(db, "county", batch=1) == 2
    assert handlers.totals(db) == before
    assert quarter_table(db) == figures  # the totals standings read agree with the lines


def quarter_table(db):
    table = metadata.tables["quarter_totals"]
    with db.engine.connect() as connection:
        return {(r.subject_kind, r.subject_id, r.quarter): (float(r.points), r.submitted,
                                                            r.adopted, r.instructions)
                for r in connection.execute(select(table))}


def test_a_rule_version_added_over_rpc_is_applied_in_the_background(container_factory,
                                                                     service_config):
    import eventlet
    from nameko.standalone.rpc import ServiceRpcProxy
    from services.scoring.service import ScoringService
    cfg = service_config("scoring")
    database = Database(cfg["DB_URL"], metadata)
    for e in story():
        handlers.on_report_events(database, Settings, e)
    container_factory(ScoringService, cfg).start()
    tripled = [{"event": r.event, "level": r.level, "mode": r.mode, "points": float(r.points) * 3}
               for r in domain.DEFAULT_RULES]
    with ServiceRpcProxy("scoring", cfg) as scoring:
        scoring.add_rule_set(ADMIN, {"effective_from": "2026-01-01", "rules": tripled})
        scoring.add_rule_set(ADMIN, {"effective_from": "2026-01-01", "rules": tripled})
    deadline = eventlet.Timeout(10)
    try:
        # The second request, made while the first rebuild ran, runs it once more.
        while {l[5] for l in lines_of(database)} != {3}:
            eventlet.sleep(0.05)
    finally:
        deadline.cancel()
    assert sum(l[4] for l in lines_of(database) if l[2] == "zhang") == 51
    database.dispose()


@both_backends
def test_a_report_sent_just_after_midnight_on_1_october_beijing_time_counts_in_q4(db):
    def submitted(report_id, instant):
        body = events.new_event("report_submitted", "zhang", report_id, report={
            "id": report_id, "author_id": "zhang", "co_author_ids": [], "unit_id": "u1",
            "title": "关于边界时刻的建议", "category": "rural", "submitted_at": instant.isoformat()})
        body["occurred_at"] = instant.isoformat()
        handlers.on_report_events(db, Settings, events.parse_event(body))

    person(db, "zhang", "张三", ["member"])
    submitted("late", datetime(2026, 9, 30, 15, 59, tzinfo=timezone.utc))   # 23:59 Beijing
    submitted("early", datetime(2026, 9, 30, 16, 0, tzinfo=timezone.utc))   # 00:00 on 1 Oct
    dates = {l[0]: l[6] for l in lines_of(db)}
    assert dates == {"late": "2026-09-30", "early": "2026-10-01"}
    q4 = standings.standings(db, EDITOR, {"period": "2026-Q4", "kind": "person"})
    assert [r["submitted"] for r in q4["items"] if r["id"] == "zhang"] == [1]


@both_backends
def test_a_paper_report_entered_later_counts_on_the_day_it_was_handed_in(db):
    """代录: handed in on 28 September, typed in on 3 October: it counts in Q3, also when
    a decision later carries the record again."""
    record = {"id": "paper", "author_id": "zhang", "co_author_ids": [], "unit_id": "u1",
              "title": "关于纸质来稿的建议", "category": "rural",
              "submitted_at": at(date(2026, 10, 3)).isoformat(), "entered_by": "editor",
              "received_on": "2026-09-28"}
    person(db, "zhang", "张三", ["member"])
    for kind, when, fields in (("report_submitted", at(date(2026, 10, 3)), {}),
                               ("report_adopted", at(date(2026, 10, 9)), {
                                   "mode": "single", "level": "county",
                                   "decided_on": "2026-10-09"})):
        body = events.new_event(kind, "editor", "paper", report=record, **fields)
        body["occurred_at"] = when.isoformat()
        handlers.on_report_events(db, Settings, events.parse_event(body))
    submitted = [l for l in lines_of(db) if l[3] == "submitted" and l[1] == "person"]
    assert [l[6] for l in submitted] == ["2026-09-28"]
    q3 = standings.standings(db, EDITOR, {"period": "2026-Q3", "kind": "person"})
    assert [r["submitted"] for r in q3["items"] if r["id"] == "zhang"] == [1]
    q4 = standings.standings(db, EDITOR, {"period": "2026-Q4", "kind": "person"})
    assert [r["submitted"] for r in q4["items"] if r["id"] == "zhang"] == [0]


@both_backends
def test_a_co_author_who_left_earns_nothing_even_from_a_decision_written_before(db):
    """退出联名: the adoption's record still names the co-author (review wrote it before it
    heard they left); their leaving, whether it comes first or last, keeps them out."""
    person(db, "zhang", "张三", ["member"])
    person(db, "li", "李四", ["member"])
    for order in ("left first", "left last"):
        report_id = f"named-{order[5:9]}"
        left = event("report_co_author_declined", report_id, at(date(2026, 7, 2)),
                     co=(), person_id="li", person_name="李四")
        steps = [event("report_submitted", report_id, at(date(2026, 7, 1)), co=("li",)),
                 event("report_adopted", report_id, at(date(2026, 7, 3)), co=("li",),
                       mode="single", level="county", decided_on="2026-07-03")]
        steps = [left] + steps if order == "left first" else steps + [left]
        for step in steps:
            handlers.on_report_events(db, Settings, step)
        credited = {l[2] for l in lines_of(db) if l[0] == report_id and l[1] == "person"}
        assert credited == {"zhang"}, order


def test_the_hourly_timer_sends_the_quarters_reminders_once(container_factory, service_config,
                                                             monkeypatch):
    """The reminders go out by themselves: scoring's timer entrypoint, every hour, on the
    office's today; a second tick in the same quarter sends nothing."""
    from nameko.testing.services import entrypoint_hook
    from nameko.timer import Timer

    from services.scoring import service as scoring_service
    cfg = service_config("scoring")
    database = Database(cfg["DB_URL"], metadata)
    person(database, "zhang", "张三", ["member"])
    monkeypatch.setattr(scoring_service.officetime, "today", lambda: date(2026, 12, 1))
    container = container_factory(scoring_service.ScoringService, cfg)
    timers = [e for e in container.entrypoints if isinstance(e, Timer)]
    assert [(t.method_name, t.interval) for t in timers] == [("quota_reminder_tick", 3600)]
    container.start()
    outbox = metadata.tables["outbox"]

    def reminders():
        with database.engine.connect() as connection:
            return [json.loads(r.body) for r in connection.execute(select(outbox.c.body).where(
                outbox.c.event_type == "quota_reminder_due"))]
    with entrypoint_hook(container, "quota_reminder_tick") as tick:
        tick()
        tick()
    assert [(r["person_id"], r["quarter"], r["owed"]) for r in reminders()] \
        == [("zhang", "2026-Q4", 4)]
    database.dispose()


def handoff_event(event_type, handoff_id, when, **state):
    return event(event_type, "r1", when, handoff={
        "id": handoff_id, "unit_id": "water", "unit_name": "县水利局", "due_on": "2026-08-30",
        "created_by": "editor", **state})


@both_backends
def test_the_bulletin_counts_hand_offs_replies_and_ratings_and_ranks_no_department(db):
    unit(db, "u1", "民进县委会")
    handlers.on_directory_events(db, events.parse_event(events.new_event(
        "directory.unit_upserted", "admin", unit={"id": "water", "name": "县水利局",
                                                  "kind": "department"})))
    person(db, "zhang", "张三", ["member"])
    for e in story():
        handlers.on_report_events(db, Settings, e)
    # Events of one hand-off travel on separate queues: here the reply comes first,
    # and one event is delivered twice.
    replied = handoff_event("handoff_replied", "h1", at(date(2026, 8, 20)),
                            resolution="resolved")
    for e in (replied, handoff_event("handoff_created", "h1", at(date(2026, 7, 12))),
              replied, handoff_event("handoff_created", "h2", at(date(2026, 9, 2))),
              handoff_event("handoff_rated", "h1", at(date(2026, 10, 8)),
                            resolution="resolved", rating="satisfied")):
        handlers.on_handoff_events(db, e)
    q3 = bulletins.bulletin(db, EDITOR, "2026-Q3")
    assert q3["handoffs"] == {"handed_off": 2, "replied": 1, "satisfied": 0,
                              "basically_satisfied": 0, "dissatisfied": 0}
    q4 = bulletins.bulletin(db, EDITOR, "2026-Q4")
    assert q4["handoffs"]["satisfied"] == 1 and q4["handoffs"]["handed_off"] == 0
    assert [u["id"] for u in q3["units"]] == ["u1"]  # the department is not ranked
    assert all(g["kind"] != "department" for g in q3["unit_groups"])
    assert "water" not in {r["id"] for r in standings.standings(
        db, EDITOR, {"kind": "unit", "period": "2026-Q3"})["items"]}
    document = Document(io.BytesIO(base64.b64decode(bulletins.bulletin_file(
        db, Settings, EDITOR, "2026-Q3", "docx")["content_base64"])))
    assert any("转交有关单位办理2件，办复1件" in p.text for p in document.paragraphs)


def test_the_bulletin_counts_reports_per_topic_as_their_authors_chose_it(db):
    """年度选题: the topic comes with intake's events only (review's copy of a report has
    none, and must not erase it); a withdrawn report is not counted."""
    unit(db, "u1", "民进县委会")
    person(db, "zhang", "张三", ["member"])

    def on_topic(event_type, report_id, when, **fields):
        body = events.new_event(event_type, "zhang", report_id, report={
            "id": report_id, "author_id": "zhang", "co_author_ids": [], "unit_id": "u1",
            "title": f"关于{report_id}的建议", "category": "rural",
            "submitted_at": at(date(2026, 7, 1)).isoformat(), "topic_id": "t1",
            "topic_title": "县域养老服务体系建设"}, **fields)
        body["occurred_at"] = when.isoformat()
        return events.parse_event(body)

    for e in [on_topic("report_submitted", "r1", at(date(2026, 7, 1))),
              event("report_adopted", "r1", at(date(2026, 7, 10)), mode="single",
                    level="county", decided_on="2026-07-10"),
              on_topic("report_submitted", "r2", at(date(2026, 7, 2))),
              on_topic("report_submitted", "r3", at(date(2026, 7, 3))),
              on_topic("report_withdrawn", "r3", at(date(2026, 7, 4)))]:
        handlers.on_report_events(db, Settings, e)
    figures = bulletins.bulletin(db, EDITOR, "2026-Q3")["topics"]
    assert figures == [{"topic_id": "t1", "title": "县域养老服务体系建设", "submitted": 2,
                        "adopted": 1}]
    assert bulletins.bulletin(db, EDITOR, "2026-Q2")["topics"] == []
    document = bulletins.bulletin_file(db, Settings, EDITOR, "2026-Q3", "docx")
    doc = Document(io.BytesIO(base64.b64decode(document["content_base64"])))
    assert any(p.text.endswith("、年度选题报送情况") for p in doc.paragraphs)
    table = [t for t in doc.tables if t.rows[0].cells[1].text == "年度选题"][0]
    assert [c.text for c in table.rows[1].cells] == ["1", "县域养老服务体系建设", "2", "1"]
    assert [c.text for c in table.rows[2].cells][:2] == ["合计", "1个"]
    xlsx = bulletins.bulletin_file(db, Settings, EDITOR, "2026-Q3", "xlsx")
    book = load_workbook(io.BytesIO(base64.b64decode(xlsx["content_base64"])))
    assert list(book["年度选题"].iter_rows(values_only=True))[2] == (
        1, "县域养老服务体系建设", 2, 1)
