"""Issues 4 and 5 over HTTP: rules, standings, bulletins and awards; preferences,
webhooks and delivery administration, on a system started like `make run`."""
import io
import json
import time
import uuid

import eventlet
import pytest
from eventlet import wsgi
from openpyxl import load_workbook

from services.notify.adapters.senders import verify

from .people import REPORT, make_people
from .system import eventually, free_port

QUARTER = f"{time.strftime('%Y')}-Q{(int(time.strftime('%m')) - 1) // 3 + 1}"


@pytest.fixture(scope="module")
def office(system):
    unit_id, people = make_people(system, zhang=["member"], li=["officer"], wang=["unit_admin"],
                                  zhao=["editor"])
    return {"unit_id": unit_id, "admin": system.admin(), **people}


def adopt_one(office, **changes):
    author, editor = office["zhang"], office["zhao"]
    report = author.api.post("/reports", dict(REPORT, unit_id=office["unit_id"],
                                              **changes)).json()
    assert eventually(lambda: editor.api.post(f"/review/{report['id']}/adopt", {})
                      .status_code == 200)
    return report["id"]


def test_rules_standings_and_unit_scores(office):
    admin, editor, zhang = office["admin"], office["zhao"], office["zhang"]
    rules = zhang.api.get("/scores/rules").json()["items"]
    assert rules[0]["version"] == 1 and len(rules[0]["rules"]) == 18
    assert editor.api.post("/scores/rules", {"effective_from": "2030-01-01",
                                             "rules": rules[0]["rules"]}).status_code == 403
    bad = admin.post("/scores/rules", {"effective_from": "someday", "rules": []})
    assert bad.status_code == 422 and {"effective_from", "rules"} <= set(bad.json()["errors"])

    adopt_one(office)
    def mine():
        rows = zhang.api.get(f"/scores/standings?period={QUARTER}&kind=person&page_size=200")
        return [r for r in rows.json()["items"] if r["id"] == zhang.id and r["points"] >= 6]
    row = eventually(mine)
    assert row and row[0]["submitted"] >= 1 and row[0]["adopted"] >= 1 and row[0]["rank"] >= 1
    li_row = [r for r in zhang.api.get(f"/scores/standings?period={QUARTER}&role=officer"
                                       f"&page_size=200").json()["items"]
              if r["id"] == office["li"].id]
    assert li_row and li_row[0]["points"] == 0  # listed with nothing
    unit = eventually(lambda: (lambda u: u if u.get("points") else None)(
        office["wang"].api.get(f"/scores/units/{office['unit_id']}?period={QUARTER}").json()))
    assert unit["points"] >= 6
    assert zhang.api.get(f"/scores/units/{office['unit_id']}").status_code == 404
    assert zhang.api.get(f"/scores/people/{office['li'].id}").status_code == 404
    assert editor.api.get(f"/scores/people/{zhang.id}").status_code == 200
    assert zhang.api.get("/scores/standings?period=2026-Q7").status_code == 422


def test_bulletin_files_publication_and_awards(office):
    admin, editor, wang = office["admin"], office["zhao"], office["wang"]
    empty = admin.post("/units", {"name": f"无信息单位{uuid.uuid4().hex[:4]}",
                                  "kind": "sector"}).json()
    adopt_one(office)

    def lists_the_empty_unit():
        # Scoring learns of the new unit from the directory's event, a moment later; a
        # busy machine may answer 503 meanwhile (asked again, as a client would).
        answer = editor.api.get(f"/scores/bulletins/{QUARTER}")
        return answer.status_code == 200 and any(u["id"] == empty["id"]
                                                 for u in answer.json()["units"])
    assert eventually(lists_the_empty_unit, timeout=15), \
        editor.api.get(f"/scores/bulletins/{QUARTER}").text[:300]
    xlsx = editor.api.get(f"/scores/bulletins/{QUARTER}?format=xlsx")
    assert xlsx.status_code == 200 and "spreadsheetml" in xlsx.headers["Content-Type"]
    book = load_workbook(io.BytesIO(xlsx.content))
    names = [row[1] for row in book["单位"].iter_rows(min_row=3, values_only=True)]
    assert empty["name"] in names and names[-1].endswith("个")  # the totals row
    assert {"信息员", "委员", "界别"} <= set(book.sheetnames)
    docx = editor.api.get(f"/scores/bulletins/{QUARTER}?format=docx")
    assert docx.status_code == 200 and "wordprocessingml" in docx.headers["Content-Type"]
    assert "filename*=UTF-8''" in docx.headers["Content-Disposition"]
    csv = editor.api.get(f"/scores/bulletins/{QUARTER}?format=csv")
    assert csv.status_code == 200 and "报送篇数" in csv.content.decode("utf-8-sig")
    assert editor.api.get(f"/scores/bulletins/{QUARTER}?format=pdf").status_code == 422

    assert office["zhang"].api.post(f"/scores/bulletins/{QUARTER}/publish").status_code == 403
    published = editor.api.post(f"/scores/bulletins/{QUARTER}/publish")
    assert published.status_code == 200 and published.json()["published_at"]
    assert editor.api.post(f"/scores/bulletins/{QUARTER}/publish").status_code == 409
    notice = eventually(lambda: [n for n in wang.api.get("/notifications?page_size=100")
                                 .json()["items"] if n["kind"] == "bulletin"])
    assert "通报" in notice[0]["title"] and "api/v1" not in notice[0]["body"]
    assert wang.api.get("/scores/bulletins").json()["items"][0]["period"] == QUARTER
    assert wang.api.get(f"/scores/bulletins/{QUARTER}").status_code == 200  # published
    assert wang.api.get(f"/scores/bulletins/{int(QUARTER[:4]) - 5}").status_code == 404

    awards = editor.api.get(f"/scores/awards?period={time.strftime('%Y')}&tiers=1,1,1").json()
    assert {"advanced_units", "excellent_officers", "excellent_reports"} <= set(awards)
    assert awards["advanced_units"][0]["award"] == "一等奖"


def test_quota_and_reminders(office):
    admin, editor, wang, zhang = office["admin"], office["zhao"], office["wang"], office["zhang"]
    year = int(time.strftime("%Y"))
    rows = {r["person_id"]: r for r in editor.api.get(f"/scores/quota?year={year}")
            .json()["items"]}
    assert rows[office["li"].id]["quota"] == 6 and rows[zhang.id]["quota"] == 4
    mine = wang.api.get(f"/scores/quota?year={year}").json()["items"]
    assert {r["person_id"] for r in mine} >= {zhang.id, office["li"].id}
    # A member sees their own progress only (the web app's desk shows it).
    own = zhang.api.get(f"/scores/quota?year={year}").json()["items"]
    assert [r["person_id"] for r in own] == [zhang.id] and own[0]["quota"] == 4
    # And an admin's change is read back.
    assert admin.post("/scores/quotas", {"role": "officer", "year": year,
                                         "count": 12}).status_code == 200
    rows = {r["person_id"]: r for r in editor.api.get(f"/scores/quota?year={year}")
            .json()["items"]}
    assert rows[office["li"].id]["quota"] == 12 and rows[zhang.id]["quota"] == 4
    sent = admin.post("/scores/quota/reminders", {"on": f"{year}-12-01"}).json()["sent"]
    assert sent >= 1
    assert admin.post("/scores/quota/reminders", {"on": f"{year}-12-02"}).json()["sent"] == 0
    notice = eventually(lambda: [n for n in office["li"].api.get("/notifications?page_size=100")
                                 .json()["items"] if n["kind"] == "quota"])
    assert "还需报送" in notice[0]["body"]


class Receiver:
    def __init__(self):
        self.calls, self.port = [], free_port()
        self.server = eventlet.listen(("127.0.0.1", self.port))
        self.thread = eventlet.spawn(wsgi.server, self.server, self.app, log_output=False)

    def app(self, environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        self.calls.append((environ.get("HTTP_X_MINYI_SIGNATURE"), body))
        start_response("204 No Content", [])
        return [b""]


def test_preferences_webhooks_and_deliveries(office):
    admin, zhang = office["admin"], office["zhang"]
    # The test office sends SMS and WeCom messages; nobody gets them until they choose.
    mine = {"sms": False, "wecom": False, "sms_available": True, "wecom_available": True}
    channels = lambda answer: {k: answer.json()[k] for k in ("email", *mine)}  # noqa: E731
    assert channels(zhang.api.get("/notifications/preferences")) == {"email": True, **mine}
    assert zhang.api.put("/notifications/preferences", {"email": "yes"}).status_code == 422
    assert channels(zhang.api.put("/notifications/preferences", {"email": False})) == {
        "email": False, **mine}
    assert channels(zhang.api.get("/notifications/preferences")) == {"email": False, **mine}

    receiver = Receiver()
    secret = "shared-secret-0123456789"
    hook = admin.post("/webhooks", {"url": f"http://127.0.0.1:{receiver.port}/in",
                                    "event_types": ["report_adopted"], "secret": secret})
    assert hook.status_code == 201
    assert zhang.api.post("/webhooks", {}).status_code == 403
    assert any(h["id"] == hook.json()["id"] for h in admin.get("/webhooks").json()["items"])
    report_id = adopt_one(office)
    assert eventually(lambda: any(json.loads(body)["report_id"] == report_id
                                  for _, body in receiver.calls), timeout=5)
    sig, body = [c for c in receiver.calls if json.loads(c[1])["report_id"] == report_id][0]
    assert verify(secret, sig, body)
    sent = eventually(lambda: admin.get("/notifications/deliveries?status=sent").json()["items"])
    assert sent[0]["channel"] == "webhook"
    assert zhang.api.get("/notifications/deliveries").status_code == 403
    assert admin.post(f"/notifications/deliveries/{sent[0]['id']}/retry").status_code == 409
    assert admin.call("DELETE", f"/webhooks/{hook.json()['id']}").status_code == 200
    assert admin.call("DELETE", f"/webhooks/{hook.json()['id']}").status_code == 404
    receiver.thread.kill()


def test_the_award_list_as_a_decision_and_a_workbook_names_only_who_consented(office, tmp_path):
    import docx
    editor, zhang = office["zhao"], office["zhang"]
    year, today = time.strftime("%Y"), time.strftime("%Y-%m-%d")
    tag = uuid.uuid4().hex[:4]
    titles = {True: f"关于完善县域医共体建设的建议{tag}", False: f"关于加强校园周边交通管理的建议{tag}"}
    for consent, title in titles.items():
        report_id = adopt_one(office, title=title, consent_to_publish=consent)
        answer = editor.api.post(f"/review/{report_id}/outcomes", {
            "kind": "upstream_adopted", "level": "national", "mode": "single", "date": today})
        assert answer.status_code == 200, answer.text

    def listed():
        found = editor.api.get(f"/scores/awards?period={year}").json()["excellent_reports"]
        return {r["title"]: r for r in found if r["title"] in titles.values()}
    reports = eventually(lambda: (lambda f: f if len(f) == 2 else None)(listed()), timeout=15)
    assert reports[titles[True]]["author_name"] == "zhang"
    hidden = reports[titles[False]]
    assert hidden["author_id"] is None and hidden["author_name"] is None
    assert hidden["credit"] == "本刊编辑部"

    sheet = editor.api.get(f"/scores/awards?period={year}&format=xlsx")
    assert sheet.status_code == 200 and "filename*=UTF-8''" in sheet.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(sheet.content))
    assert book.sheetnames == ["先进单位", "优秀信息员", "优秀社情民意信息"]
    rows = {r[1]: r[2] for r in book["优秀社情民意信息"].iter_rows(min_row=3, values_only=True)}
    assert rows[titles[True]] == "zhang" and rows[titles[False]] == "本刊编辑部"

    decision = editor.api.get(f"/scores/awards?period={year}&format=docx")
    assert decision.status_code == 200
    path = tmp_path / "awards.docx"
    path.write_bytes(decision.content)
    document = docx.Document(str(path))
    text = "\n".join(p.text for p in document.paragraphs)
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert f"关于表彰{year}年社情民意信息工作先进单位" in text
    assert titles[True] in cells and titles[False] in cells
    assert "本刊编辑部" in cells
    position = cells.index(titles[False])
    assert cells[position + 1] == "本刊编辑部"  # the author who did not consent is not named

    bad = editor.api.get(f"/scores/awards?period={year}&format=pdf")
    assert bad.status_code == 422 and "format" in bad.json()["errors"]


def test_a_member_record_for_a_term_as_data_a_document_and_a_workbook(office, tmp_path):
    import docx
    editor, zhang, li, wang = office["zhao"], office["zhang"], office["li"], office["wang"]
    year = time.strftime("%Y")
    title = f"关于推进老年助餐服务的建议{uuid.uuid4().hex[:4]}"
    report_id = adopt_one(office, title=title)

    def record():
        found = zhang.api.get(f"/scores/people/{zhang.id}/record?period={year}").json()
        return found if any(r["report_id"] == report_id and r["status"] == "adopted"
                            for r in found.get("reports", [])) else None
    found = eventually(record, timeout=15)
    assert found["name"] == "zhang" and found["period_words"] == f"{year}年"
    assert [y["year"] for y in found["years"]] == [int(year)]
    assert found["years"][0]["quota"] == 4 and found["years"][0]["submitted"] >= 1
    mine = next(r for r in found["reports"] if r["report_id"] == report_id)
    assert mine["credit"] == "author" and mine["status_words"] == "已采用"
    assert found["totals"]["adopted"] >= 1 and found["totals"]["points"] >= 6
    # The current term by default; others' records only for their unit's admins and editors.
    assert zhang.api.get(f"/scores/people/{zhang.id}/record").json()["period"].startswith("term:")
    assert li.api.get(f"/scores/people/{zhang.id}/record").status_code == 404
    assert wang.api.get(f"/scores/people/{zhang.id}/record").status_code == 200
    bad = zhang.api.get(f"/scores/people/{zhang.id}/record?period=term:九届")
    assert bad.status_code == 422 and "period" in bad.json()["errors"]

    document = zhang.api.get(f"/scores/people/{zhang.id}/record?period={year}&format=docx")
    assert document.status_code == 200
    path = tmp_path / "record.docx"
    path.write_bytes(document.content)
    opened = docx.Document(str(path))
    text = "\n".join(p.text for p in opened.paragraphs)
    cells = [c.text for t in opened.tables for row in t.rows for c in row.cells]
    assert "zhang社情民意信息履职档案" in text and title in cells and f"{year}年" in cells
    sheet = zhang.api.get(f"/scores/people/{zhang.id}/record?period={year}&format=xlsx")
    assert load_workbook(io.BytesIO(sheet.content)).sheetnames == ["年度情况", "信息明细"]

    everyone = editor.api.get(f"/scores/records?period={year}").json()
    row = next(r for r in everyone["items"] if r["person_id"] == zhang.id)
    assert row["adopted"] >= 1 and row["years"][0]["quota"] == 4
    assert zhang.api.get(f"/scores/records?period={year}").status_code == 403
    table = editor.api.get(f"/scores/records?period={year}&format=xlsx")
    assert table.status_code == 200
    rows = list(load_workbook(io.BytesIO(table.content))["履职情况"].iter_rows(values_only=True))
    assert rows[1][:3] == ("姓名", "身份", "所在单位") and f"{year}年报送/任务" in rows[1]
    assert any(r[0] == "zhang" for r in rows[2:])
    wrong = editor.api.get(f"/scores/records?period={year}&format=docx")
    assert wrong.status_code == 422 and "format" in wrong.json()["errors"]
