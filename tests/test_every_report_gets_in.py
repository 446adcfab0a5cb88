"""Every report the office receives gets in (docs/reports.md), over HTTP on a system
started like `make run`, on SQLite and PostgreSQL: 代录 for an author who hands in paper."""
import hashlib
import io
import os
import uuid
import zipfile
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
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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


def photo_with_gps(width=40, height=20) -> bytes:
    """A phone's photo: taken sideways (orientation 6) with where it was taken."""
    from PIL import Image
    image = Image.new("RGB", (width, height), "navy")
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° to show upright
    exif[0x010F] = "某品牌手机"
    exif.get_ifd(0x8825).update({1: "N", 2: (30.0, 15.0, 0.0), 3: "E", 4: (120.0, 9.0, 0.0)})
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def stored_files(system) -> set:
    folder = os.path.join(system.data_dir, "files")
    return {n for n in os.listdir(folder)} if os.path.isdir(folder) else set()


def test_files_on_a_report_are_checked_by_content_cleaned_and_kept_from_strangers(office, system):
    from PIL import Image
    author, editor, stranger = office["laowang"], office["bianji"], office["outsider"]
    report_id = author.api.post("/reports", REPORT).json()["id"]
    url = f"/reports/{report_id}/attachments"
    photo = photo_with_gps()
    added = author.api.post(url, files={"file": ("现场照片.jpg", photo, "image/jpeg")})
    assert added.status_code == 201, added.text
    kept = added.json()
    assert kept["name"] == "现场照片.jpg" and kept["content_type"] == "image/jpeg"
    # Whoever may see the report downloads it; nobody else learns it exists.
    got = editor.api.get(f"{url}/{kept['id']}")
    assert got.status_code == 200
    assert got.headers["Content-Disposition"].startswith("attachment;")
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert hashlib.sha256(got.content).hexdigest() == kept["sha256"]
    assert len(got.content) == kept["size"]
    upright = Image.open(io.BytesIO(got.content))
    assert upright.size == (20, 40)  # turned upright by its orientation
    assert not upright.getexif() and b"Exif" not in got.content  # and no GPS left
    assert stranger.api.get(f"{url}/{kept['id']}").status_code == 404
    assert stranger.api.get(url).status_code == 404
    assert [a["id"] for a in author.api.get(url).json()["items"]] == [kept["id"]]

    before = stored_files(system)
    exe = author.api.post(url, files={"file": ("photo.jpg", b"MZ\x90\x00" + b"\0" * 5000,
                                               "image/jpeg")})
    assert exe.status_code == 422 and "按文件内容判断" in exe.json()["errors"]["file"][0]
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        with zipfile.ZipFile(io.BytesIO(docx("关于某事的建议"))) as real:
            for item in real.infolist():
                z.writestr(item, real.read(item))
        z.writestr("word/media/padding.bin", b"\0" * (120 << 20))
    assert author.api.post(url, files={"file": ("b.docx", bomb.getvalue(), DOCX)}
                           ).status_code == 422
    too_big = author.api.post(url, files={"file": ("big.pdf", b"%PDF-1.7\n" + b"0" * (21 << 20),
                                                   "application/pdf")})
    assert too_big.status_code == 413 and too_big.json()["code"] == "attachment_too_large"
    assert stranger.api.post(url, files={"file": ("a.jpg", photo, "image/jpeg")}
                             ).status_code == 404
    assert stored_files(system) == before  # nothing of a refused upload is kept
    # Ten at most.
    before = stored_files(system)
    for n in range(9):
        assert author.api.post(url, files={"file": (f"{n}.pdf", b"%PDF-1.7\n%%EOF\n",
                                                    "application/pdf")}).status_code == 201
    eleventh = author.api.post(url, files={"file": ("11.pdf", b"%PDF-1.7\n%%EOF\n",
                                                    "application/pdf")})
    assert eleventh.status_code == 422 and eleventh.json()["errors"]["file"] == [
        "每篇信息最多上传 10 个附件。"]
    assert len(stored_files(system) - before) == 9  # the eleventh's bytes are dropped
    # Submitted: files stay until it is returned.
    assert author.api.delete(f"{url}/{kept['id']}").status_code == 409


def test_a_file_is_taken_off_a_draft_with_its_bytes(office, system):
    author = office["laowang"]
    report_id = author.api.post("/reports", dict(REPORT, draft=True)).json()["id"]
    url = f"/reports/{report_id}/attachments"
    before = stored_files(system)
    added = author.api.post(url, files={"file": ("表.xlsx", _xlsx(), "application/octet-stream")})
    assert added.status_code == 201 and added.json()["content_type"].endswith(".sheet")
    assert len(stored_files(system) - before) == 1
    assert author.api.delete(f"{url}/{added.json()['id']}").status_code == 204
    assert stored_files(system) == before
    assert author.api.get(url).json()["items"] == []


def _xlsx() -> bytes:
    from openpyxl import Workbook
    book = Workbook()
    book.active.append(["小区", "楼栋数"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def backlog_file(rows) -> bytes:
    from openpyxl import Workbook
    from gateway.adapters.backlog_xlsx import COLUMNS
    book = Workbook()
    book.active.append(list(COLUMNS))
    for row in rows:
        book.active.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_past_reports_come_in_all_or_nothing_and_score_by_their_own_dates(office):
    admin, editor, author = office["admin"], office["bianji"], office["laowang"]
    username = author.api.get("/me").json()["username"]
    co_author = office["xiaoli"].api.get("/me").json()["username"]
    unit_name = next(u["name"] for u in admin.get("/units?page_size=200").json()["items"]
                     if u["id"] == office["unit_id"])
    tag = uuid.uuid4().hex[:4]
    text = (SITUATION, ANALYSIS, SUGGESTIONS)
    good = [
        (f"关于往期饮水安全{tag}的建议", username, co_author, unit_name, "乡村振兴", "2025-03-10",
         *text, "已采用", "2025-03-20",
         "市级上级采用 2025-04-02；县级领导批示 2025-04-15 县长：请水利局研究落实"),
        (f"关于往期停车治理{tag}的建议", username, "", "", "城乡建设", "2025-05-06", *text,
         "留存", "", ""),
        (f"关于往期校外培训{tag}的建议", username, "", "", "教育", "2025-06-01", *text, "", "", ""),
    ]
    bad = good + [
        (f"关于往期错误{tag}的建议", "nobody-here", "", "无此单位", "乡村振兴", "2025-13-01", *text,
         "已采用", "", "市级上级采用 明天"),
    ]
    url = "/reports/imports"
    template = editor.api.get("/reports/import-template")
    assert template.status_code == 200 and template.content[:2] == b"PK"
    assert author.api.post(url, files={"file": ("a.xlsx", backlog_file(good), XLSX)}
                           ).status_code == 403
    before = len(admin.get("/reports?page_size=200").json()["items"])
    checked = editor.api.post(url + "?dry_run=true",
                              files={"file": ("往期.xlsx", backlog_file(bad), XLSX)}).json()
    assert checked["rows"] == 4 and checked["applied"] is False
    assert {(e["row"], e["column"]) for e in checked["errors"]} == {
        (5, "作者用户名"), (5, "单位"), (5, "报送日期"), (5, "成效")}
    assert "没有用户名为 nobody-here 的在用账号" in checked["errors"][0]["message"]
    refused = editor.api.post(url, files={"file": ("往期.xlsx", backlog_file(bad), XLSX)})
    assert refused.status_code == 422 and refused.json()["errors"]["file"][0].startswith("第5行")
    assert len(admin.get("/reports?page_size=200").json()["items"]) == before  # nothing
    done = editor.api.post(url, files={"file": ("往期.xlsx", backlog_file(good), XLSX)}).json()
    assert (done["created"], done["unchanged"], done["applied"]) == (3, 0, True)
    again = editor.api.post(url, files={"file": ("往期.xlsx", backlog_file(good), XLSX)}).json()
    assert (again["created"], again["unchanged"]) == (0, 3)
    changed = [list(good[0])]
    changed[0][6] = SITUATION + "补充了新内容。"
    differs = editor.api.post(url + "?dry_run=true",
                              files={"file": ("往期.xlsx", backlog_file(changed), XLSX)}).json()
    assert [(e["row"], e["column"]) for e in differs["errors"]] == [(2, "标题")]
    # The author's record: theirs, decided as it was, scored on its own dates.
    mine = {r["title"]: r for r in author.api.get("/reports?mine=true&page_size=200").json()[
        "items"]}
    adopted = mine[good[0][0]]
    assert adopted["status"] == "adopted" and adopted["decision"]["mode"] == "single"
    assert [o["kind"] for o in adopted["outcomes"]] == ["upstream_adopted", "instructed"]
    assert mine[good[1][0]]["status"] == "retained" and mine[good[2][0]]["status"] == "submitted"
    lines = eventually(lambda: [line for line in editor.api.get(
        f"/scores/people/{author.id}?period=2025").json()["lines"]
        if line["report_id"] == adopted["id"]], timeout=10)
    dates = {line["event"]: line["date"] for line in lines if line["role"] == "author"}
    assert dates["submitted"] == "2025-03-10" and dates["adopted"] == "2025-03-20"
    assert dates["upstream_adopted"] == "2025-04-02" and dates["instructed"] == "2025-04-15"
    co_lines = editor.api.get(f"/scores/people/{office['xiaoli'].id}?period=2025").json()["lines"]
    assert any(line["report_id"] == adopted["id"] for line in co_lines)
    case = eventually(lambda: (lambda a: a.json() if a.status_code == 200 else None)(
        editor.api.get(f"/review/cases/{adopted['id']}")), timeout=10)
    assert case["status"] == "adopted" and len(case["outcomes"]) == 2
    # No notices for what happened long ago.
    notices = author.api.get("/notifications?page_size=100").json()["items"]
    assert [n for n in notices if n["report_id"] == adopted["id"]] == []


def test_the_scanned_instruction_hangs_on_its_outcome_for_all_who_see_the_report(office):
    author, editor, stranger = office["laowang"], office["bianji"], office["outsider"]
    report_id = author.api.post("/reports", REPORT).json()["id"]
    assert eventually(lambda: editor.api.post(f"/review/{report_id}/adopt", {}
                                              ).status_code == 200, timeout=10)
    case = editor.api.post(f"/review/{report_id}/outcomes", {
        "kind": "instructed", "level": "county", "date": officetime.today().isoformat(),
        "leader": "县长", "text": "请水利局研究落实"}).json()
    outcome_id = case["outcomes"][-1]["id"]
    scan = b"%PDF-1.7\n" + b"1" * 5000 + b"\n%%EOF\n"
    url = f"/review/{report_id}/outcomes/{outcome_id}/attachments"
    assert author.api.post(url, files={"file": ("批示件.pdf", scan, "application/pdf")}
                           ).status_code == 403
    assert editor.api.post(f"/review/{report_id}/outcomes/nope/attachments", files={
        "file": ("批示件.pdf", scan, "application/pdf")}).status_code == 404
    added = editor.api.post(url, files={"file": ("批示件.pdf", scan, "application/pdf")})
    assert added.status_code == 201, added.text
    assert added.json()["outcome_id"] == outcome_id
    # The author sees it on their report, with the outcome it belongs to.
    assert eventually(lambda: any(o.get("id") == outcome_id for o in author.api.get(
        f"/reports/{report_id}").json()["outcomes"]), timeout=10)
    listed = author.api.get(f"/reports/{report_id}/outcome-attachments").json()["items"]
    assert [(a["name"], a["outcome_id"]) for a in listed] == [("批示件.pdf", outcome_id)]
    got = author.api.get(f"/reports/{report_id}/outcome-attachments/{listed[0]['id']}")
    assert got.status_code == 200 and got.content == scan
    assert stranger.api.get(f"/reports/{report_id}/outcome-attachments").status_code == 404
    assert stranger.api.get(f"/reports/{report_id}/outcome-attachments/{listed[0]['id']}"
                            ).status_code == 404
