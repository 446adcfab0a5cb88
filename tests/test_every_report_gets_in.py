"""Every report the office receives gets in (docs/reports.md), over HTTP on a system
started like `make run`, on SQLite and PostgreSQL: 代录 for an author who hands in paper."""
from datetime import date, timedelta

import pytest

from gateway.tests.test_docx_import import ANALYSIS, SITUATION, SUGGESTIONS, docx
from minyi_common import officetime

from .people import REPORT, make_people
from .system import eventually


@pytest.fixture(scope="module")
def office(system):
    unit_id, people = make_people(system, laowang=["member"], clerk=["unit_admin"],
                                  xiaoli=["member"], bianji=["editor"])
    _, others = make_people(system, outsider=["member"])
    return {"unit_id": unit_id, "admin": system.admin(), **people, **others}


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def test_a_paper_report_entered_by_the_office_is_its_authors_everywhere(office):
    author, editor = office["laowang"], office["bianji"]
    handed_in = officetime.today() - timedelta(days=2)
    answer = editor.api.post("/reports", dict(
        REPORT, on_behalf_of=author.id, received_on=handed_in.isoformat(),
        unit_id=office["unit_id"], co_author_ids=[office["xiaoli"].id]))
    assert answer.status_code == 201, answer.text
    report = answer.json()
    assert (report["author_id"], report["entered_by"]) == (author.id, editor.id)
    assert report["history"][0]["action"] == "entered_on_behalf"
    # The author: in their own list, told, and credited for the day it was handed in.
    mine = author.api.get("/reports?mine=true").json()["items"]
    assert report["id"] in [r["id"] for r in mine]
    told = eventually(lambda: [n for n in author.api.get("/notifications").json()["items"]
                               if n["kind"] == "entered"], timeout=10)
    assert told and told[0]["title"] == f"《{REPORT['title']}》已代为录入"
    named = eventually(lambda: [n for n in office["xiaoli"].api.get(
        "/notifications").json()["items"] if n["kind"] == "co_author"], timeout=10)
    assert named and "退出联名" in named[0]["body"]
    scores = eventually(lambda: [line for line in author.api.get(
        f"/scores/people/{author.id}?period={quarter_of(handed_in)}").json()["lines"]
        if line["report_id"] == report["id"]], timeout=10)
    assert scores and scores[0]["date"] == handed_in.isoformat()
    # The editor sees it in the queue, as entered on behalf.
    case = eventually(lambda: (lambda a: a.json() if a.status_code == 200 else None)(
        editor.api.get(f"/review/cases/{report['id']}")), timeout=10)
    assert case["author_id"] == author.id and case["entered_by"] == editor.id


def test_entering_for_others_is_refused_in_chinese_naming_the_field(office):
    clerk, member = office["clerk"], office["xiaoli"]
    before = len(office["admin"].get("/reports?page_size=200").json()["items"])
    outside = clerk.api.post("/reports", dict(REPORT, on_behalf_of=office["outsider"].id))
    assert outside.status_code == 422
    assert outside.json()["errors"]["on_behalf_of"] == ["单位管理员只能为本单位人员代录信息。"]
    by_member = member.api.post("/reports", dict(REPORT, on_behalf_of=office["laowang"].id))
    assert by_member.status_code == 403
    assert by_member.json()["detail"] == "只有编辑、管理员和单位管理员可以为他人代录信息"
    future = (officetime.today() + timedelta(days=3)).isoformat()
    late = office["bianji"].api.post("/reports", dict(
        REPORT, on_behalf_of=office["laowang"].id, received_on=future))
    assert late.status_code == 422 and "received_on" in late.json()["errors"]
    own = member.api.post("/reports", dict(REPORT, received_on="2026-01-05"))
    assert own.status_code == 422 and "received_on" in own.json()["errors"]
    assert len(office["admin"].get("/reports?page_size=200").json()["items"]) == before
    # A unit admin enters for a person of their unit, and revises it with them.
    entered = clerk.api.post("/reports", dict(REPORT, on_behalf_of=member.id, draft=True))
    assert entered.status_code == 201, entered.text
    report_id = entered.json()["id"]
    assert clerk.api.post(f"/reports/{report_id}/submit").status_code == 200
    assert member.api.get(f"/reports/{report_id}").json()["status"] == "submitted"


def test_a_co_author_named_without_asking_leaves_and_is_credited_no_more(office):
    author, co_author, editor = office["laowang"], office["xiaoli"], office["bianji"]
    answer = author.api.post("/reports", dict(REPORT, co_author_ids=[co_author.id]))
    assert answer.status_code == 201, answer.text
    report_id = answer.json()["id"]
    assert co_author.api.post(f"/reports/{report_id}/co-authorship/decline").status_code == 200
    assert co_author.api.get(f"/reports/{report_id}").status_code == 404
    assert author.api.get(f"/reports/{report_id}").json()["co_author_ids"] == []
    told = eventually(lambda: [n for n in author.api.get("/notifications").json()["items"]
                               if n["kind"] == "co_author" and n["report_id"] == report_id],
                      timeout=10)
    assert told and told[0]["title"].startswith("xiaoli退出了")
    # Review learns it before the adoption, which credits the author alone.
    assert eventually(lambda: editor.api.get(f"/review/cases/{report_id}").json().get(
        "co_author_ids") == [], timeout=10)
    assert editor.api.post(f"/review/{report_id}/adopt", {}).status_code == 200
    lines = eventually(lambda: [line for line in editor.api.get(
        f"/scores/people/{author.id}?period={quarter_of(officetime.today())}").json()["lines"]
        if line["report_id"] == report_id and line["event"] == "adopted"], timeout=10)
    assert lines
    mine = editor.api.get(f"/scores/people/{co_author.id}?period="
                          f"{quarter_of(officetime.today())}").json()["lines"]
    assert [line for line in mine if line["report_id"] == report_id] == []
    # Decided: nobody leaves any more; and a stranger may not leave what is not theirs.
    second = author.api.post("/reports", dict(REPORT, co_author_ids=[co_author.id])).json()
    assert office["clerk"].api.post(
        f"/reports/{second['id']}/co-authorship/decline").status_code in (403, 404)
    assert editor.api.post(f"/reports/{second['id']}/co-authorship/decline").status_code == 403


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def test_a_word_file_fills_the_form_and_what_is_no_docx_is_refused_in_chinese(office):
    member = office["laowang"]
    before = len(office["admin"].get("/reports?page_size=200").json()["items"])
    content = docx("关于加强农村饮水安全保障的建议", "一、基本情况", SITUATION, "二、存在问题",
                   ANALYSIS, "三、对策建议", SUGGESTIONS)
    read = member.api.post("/reports/docx-import",
                           files={"file": ("饮水安全.docx", content, DOCX)})
    assert read.status_code == 200, read.text
    assert read.json() == {"title": "关于加强农村饮水安全保障的建议", "situation": SITUATION,
                           "analysis": ANALYSIS, "suggestions": SUGGESTIONS, "warnings": []}
    # An editor imports for a paper report entered on behalf too.
    assert office["bianji"].api.post("/reports/docx-import", files={
        "file": ("a.docx", content, DOCX)}).status_code == 200
    old = member.api.post("/reports/docx-import", files={
        "file": ("旧版.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 2000, "application/msword")})
    assert old.status_code == 422
    assert old.json()["errors"]["file"] == [
        "这是 Word 97-2003（.doc）或 WPS 格式的文件，请在 Word 或 WPS 中另存为 .docx 后再导入。"]
    exe = member.api.post("/reports/docx-import", files={
        "file": ("报告.docx", b"MZ\x90\x00" + b"\0" * 4000, DOCX)})
    assert exe.status_code == 422 and exe.json()["errors"]["file"] == ["这不是 Word 文档（.docx）。"]
    huge = member.api.post("/reports/docx-import", files={
        "file": ("大.docx", b"PK\x03\x04" + b"\0" * (11 << 20), DOCX)})
    assert huge.status_code == 413
    assert member.api.post("/reports/docx-import").status_code == 422  # no file at all
    # Nothing is ever stored by an import.
    assert len(office["admin"].get("/reports?page_size=200").json()["items"]) == before
