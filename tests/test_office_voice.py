"""年度选题, 约稿 and 通知公告 over HTTP, on a system started like `make run` (SQLite and
PostgreSQL): an editor publishes a topic, commissions a piece from a person and from a
unit, and publishes a notice with a file; the person and the unit's admin are told and
see the commission; a report naming it answers it (not as a draft, no longer once
withdrawn); the 通报 counts reports per topic; everyone is told of the notice once. Bad
input is refused naming its field, with nothing stored."""
import io
import time
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from .people import REPORT, make_people
from .system import assert_speaks_chinese, eventually

YEAR = int(time.strftime("%Y"))
TODAY = date.today()


@pytest.fixture(scope="module")
def office(system):
    unit_id, people = make_people(system, wang=["member"], li=["unit_admin"], zhou=["member"],
                                  bian=["editor"])
    return {"unit_id": unit_id, "admin": system.admin(), **people}


def told(person, kind) -> list:
    return [n for n in person.api.get("/notifications?page_size=100").json()["items"]
            if n["kind"] == kind]


def refused(answer, field, status=422):
    assert answer.status_code == status, answer.text
    problem = answer.json()
    assert_speaks_chinese(problem)
    assert field in problem["errors"], problem
    return problem


def test_a_topic_is_carried_by_reports_of_its_year_and_counted_in_the_bulletin(office):
    editor, wang = office["bian"], office["wang"]
    topic = editor.api.post("/topics", {"year": YEAR, "title": "县域养老服务体系建设",
                                        "description": "居家、社区、机构养老的衔接。"})
    assert topic.status_code == 201, topic.text
    topic = topic.json()
    assert topic["reports"] == 0 and topic["year"] == YEAR
    old = editor.api.post("/topics", {"year": YEAR - 1, "title": "往年的选题一项"}).json()
    mine = [t["id"] for t in wang.api.get(f"/topics?year={YEAR}").json()["items"]]
    assert topic["id"] in mine and old["id"] not in mine

    # A member may not publish; a topic of another year, or none, is refused.
    assert wang.api.post("/topics", {"year": YEAR, "title": "委员自拟的选题"}).status_code == 403
    before = len(wang.api.get("/reports?mine=true").json()["items"])
    refused(wang.api.post("/reports", dict(REPORT, topic_id=old["id"])), "topic_id")
    refused(wang.api.post("/reports", dict(REPORT, topic_id="no-such-topic")), "topic_id")
    assert len(wang.api.get("/reports?mine=true").json()["items"]) == before
    refused(editor.api.post("/topics", {"year": YEAR, "title": "一\n二三四"}), "title")
    refused(editor.api.post("/topics", {"year": 1999, "title": "太早的年份选题"}), "year")
    refused(wang.api.get("/topics?year=-134104774694210371584"), "year")
    refused(wang.api.get("/topics?year=今年"), "year")

    report = wang.api.post("/reports", dict(REPORT, title="关于完善农村养老服务的建议",
                                            topic_id=topic["id"]))
    assert report.status_code == 201, report.text
    assert report.json()["topic_id"] == topic["id"]
    assert report.json()["topic_title"] == "县域养老服务体系建设"
    assert [t["reports"] for t in wang.api.get(f"/topics?year={YEAR}").json()["items"]
            if t["id"] == topic["id"]] == [1]

    def counted():
        bulletin = editor.api.get(f"/scores/bulletins/{YEAR}").json()
        return [t for t in bulletin["topics"] if t["topic_id"] == topic["id"]]
    assert eventually(counted, timeout=30)
    assert counted()[0] == {"topic_id": topic["id"], "title": "县域养老服务体系建设",
                            "submitted": 1, "adopted": 0}
    sheet = editor.api.get(f"/scores/bulletins/{YEAR}?format=xlsx")
    assert sheet.status_code == 200
    rows = list(load_workbook(io.BytesIO(sheet.content))["年度选题"].values)
    assert any(r[1] == "县域养老服务体系建设" and r[2] == 1 for r in rows), rows


def test_a_commission_is_told_listed_and_answered_by_a_submitted_report(office):
    editor, wang, li, zhou = office["bian"], office["wang"], office["li"], office["zhou"]
    due = (TODAY + timedelta(days=20)).isoformat()
    asked = editor.api.post("/commissions", {"person_id": wang.id, "title": "关于集贸市场秩序",
                                             "note": "请结合走访写一篇。", "due_on": due})
    assert asked.status_code == 201, asked.text
    asked = asked.json()
    assert asked["state"] == "open" and asked["person_name"] == "wang"
    to_unit = editor.api.post("/commissions", {"unit_id": office["unit_id"],
                                               "title": "请党派报一篇营商环境", "due_on": due}).json()

    # Told: the person of theirs, the unit's admin of the unit's; a member of the unit
    # not. Each sees their own on the desk.
    assert eventually(lambda: any(n["title"] == "约稿：关于集贸市场秩序"
                                  for n in told(wang, "commission")), timeout=30)
    assert eventually(lambda: any(n["title"] == "约稿：请党派报一篇营商环境"
                                  for n in told(li, "commission")), timeout=30)
    link = [n for n in told(wang, "commission") if n["title"] == "约稿：关于集贸市场秩序"][0]["link"]
    assert link == f"/reports/new?commission={asked['id']}"
    assert not any(n["title"] == "约稿：请党派报一篇营商环境" for n in told(zhou, "commission"))
    assert [c["id"] for c in wang.api.get("/commissions").json()["items"]] == [asked["id"]]
    assert {c["id"] for c in li.api.get("/commissions").json()["items"]} == {to_unit["id"]}
    assert zhou.api.get("/commissions").json()["items"] == []

    # Somebody else's commission cannot be answered.
    refused(zhou.api.post("/reports", dict(REPORT, commission_id=asked["id"])), "commission_id")

    # A draft does not answer it; submitting does; withdrawing undoes it.
    draft = wang.api.post("/reports", dict(REPORT, commission_id=asked["id"], draft=True)).json()
    state = lambda: [c for c in editor.api.get("/commissions").json()["items"]  # noqa: E731
                     if c["id"] == asked["id"]][0]
    assert state()["state"] == "open"
    assert wang.api.post(f"/reports/{draft['id']}/submit").status_code == 200
    assert state()["state"] == "answered" and state()["answered_by"] == draft["id"]
    assert [c["id"] for c in editor.api.get("/commissions?state=answered").json()["items"]
            if c["id"] == asked["id"]]
    assert wang.api.post(f"/reports/{draft['id']}/withdraw").status_code == 200
    assert state()["state"] == "open"

    # A unit's commission is answered by a report of a person of that unit.
    piece = zhou.api.post("/reports", dict(REPORT, commission_id=to_unit["id"],
                                           unit_id=office["unit_id"]))
    assert piece.status_code == 201, piece.text
    assert [c["state"] for c in li.api.get("/commissions").json()["items"]] == ["answered"]
    refused(editor.api.get("/commissions?state=lost"), "state")


def test_bad_commissions_are_refused_and_nothing_is_stored(office, system):
    editor, admin, wang = office["bian"], office["admin"], office["wang"]
    before = len(editor.api.get("/commissions").json()["items"])
    due = (TODAY + timedelta(days=5)).isoformat()
    gone = make_people(system, left=["member"])[1]["left"]
    # Intake knows them (a draft may be entered for them), so that the refusal awaited
    # below is for their disabling, not for a person intake has not heard of yet.
    assert eventually(lambda: editor.api.post("/reports", dict(
        REPORT, on_behalf_of=gone.id, draft=True)).status_code == 201, timeout=30)
    assert admin.patch(f"/users/{gone.id}", {"active": False}).status_code == 200
    # Intake has heard of it once it refuses to enter a draft for them (代录).
    assert eventually(lambda: editor.api.post("/reports", dict(
        REPORT, on_behalf_of=gone.id, draft=True)).status_code == 422, timeout=30)
    refused(editor.api.post("/commissions", {"person_id": gone.id, "title": "给已停用的人约稿",
                                             "due_on": due}), "person_id")
    refused(editor.api.post("/commissions", {"person_id": wang.id, "title": "过期的约稿一篇",
                                             "due_on": (TODAY - timedelta(days=1)).isoformat()}),
            "due_on")
    refused(editor.api.post("/commissions", {"title": "没有对象的约稿", "due_on": due}),
            "person_id")
    refused(editor.api.post("/commissions", {"person_id": wang.id, "unit_id": office["unit_id"],
                                             "title": "两个对象的约稿", "due_on": due}), "person_id")
    refused(editor.api.post("/commissions", {"unit_id": "no-such-unit", "title": "没有的单位约稿",
                                             "due_on": due}), "unit_id")
    old = editor.api.post("/topics", {"year": YEAR - 1, "title": "去年的选题二项"}).json()
    refused(editor.api.post("/commissions", {"person_id": wang.id, "title": "旧选题的约稿",
                                             "due_on": due, "topic_id": old["id"]}), "topic_id")
    assert wang.api.post("/commissions", {"person_id": wang.id, "title": "委员不能约稿",
                                          "due_on": due}).status_code == 403
    assert len(editor.api.get("/commissions").json()["items"]) == before


def test_a_notice_with_a_file_is_told_to_everyone_once(office, system):
    editor, wang, li = office["bian"], office["wang"], office["li"]
    notice = editor.api.post("/notices", {"title": "关于印发信息工作实施办法的通知",
                                          "body": "各位委员：\n现将实施办法印发给你们。"})
    assert notice.status_code == 201, notice.text
    notice = notice.json()
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    added = editor.api.post(f"/notices/{notice['id']}/files",
                            files={"file": ("实施办法.pdf", pdf, "application/pdf")})
    assert added.status_code == 201, added.text
    assert wang.api.post(f"/notices/{notice['id']}/files",
                         files={"file": ("x.pdf", pdf, "application/pdf")}).status_code == 403
    seen = wang.api.get(f"/notices/{notice['id']}").json()
    assert seen["files"][0]["name"] == "实施办法.pdf"
    download = wang.api.get(f"/notices/{notice['id']}/files/{seen['files'][0]['id']}")
    assert download.status_code == 200 and download.content.startswith(b"%PDF")
    assert notice["id"] in [n["id"] for n in wang.api.get("/notices").json()["items"]]
    assert wang.api.get("/notices/no-such-notice").status_code == 404

    title = "通知公告：关于印发信息工作实施办法的通知"
    for person in (wang, li, editor):
        assert eventually(lambda: [n for n in told(person, "notice") if n["title"] == title],
                          timeout=30)
    time.sleep(1)  # a second delivery of the event would show by now
    mine = [n for n in told(wang, "notice") if n["title"] == title]
    assert len(mine) == 1 and mine[0]["link"] == f"/notices/{notice['id']}"

    before = len(editor.api.get("/notices?page_size=200").json()["items"])
    refused(editor.api.post("/notices", {"title": "空的", "body": ""}), "body")
    refused(editor.api.post("/notices", {"title": "正文有控制字符的通知", "body": "a\x07b"}), "body")
    assert wang.api.post("/notices", {"title": "委员发的通知公告", "body": "x"}).status_code == 403
    assert len(editor.api.get("/notices?page_size=200").json()["items"]) == before
