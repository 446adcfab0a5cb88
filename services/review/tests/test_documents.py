"""The issue and the 专报 in GB/T 9704-2012 layout, read back with python-docx and rendered
to PDF by LibreOffice; the credit line of each kind of author."""
import base64
import io
import re
import shutil
import subprocess
from datetime import date, datetime, timezone

from docx import Document
from docx.shared import Pt

from minyi_common import events
from minyi_common.db import Database
from minyi_common.testing import both_backends
from services.review import handlers
from services.review.handlers import publication
from services.review.adapters import docx_issue
from services.review.adapters.orm import metadata
from services.review.similarity import SimilarityIndex

EDITOR = {"id": "editor-1", "roles": ["editor"], "unit_ids": []}
PIECE = {"title": "关于加强农村饮水安全保障的建议",
         "situation": "近年来，我县农村饮水工程建设取得明显成效，但部分偏远村组仍存在供水不稳定、"
                      "水质检测覆盖不足等问题。" * 3,
         "analysis": "一是管护机制不健全，工程建成后缺少专人维护；二是资金投入不足；"
                     "三是群众节水意识有待提高。" * 3,
         "suggestions": "一是建立县级统管、乡镇监管、村级管护的三级机制；二是设立农村供水维修"
                        "养护专项资金；三是加强水质检测。" * 3,
         "credit": "民进县委会 张三"}
ISSUE = {"number": 12, "total_number": 120, "published_on": date(2026, 11, 27),
         "signed_by": "王主任", "report_to": "市政协办公室", "send_to": "县委办公室，县政府办公室",
         "editor_name": "赵编辑", "copies": 30}


def render_issue():
    second = dict(PIECE, title="关于规范校外培训机构的建议", credit="本刊编辑部")
    return docx_issue.render_issue("某某县政协办公室", ISSUE, [PIECE, second])


def east_asian_font(run):
    return run._element.rPr.rFonts.get(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia")


def test_the_issue_has_the_national_layout():
    doc = Document(io.BytesIO(render_issue()))
    section = doc.sections[0]
    def mm(*lengths):
        return tuple(round(length.mm, 1) for length in lengths)  # stored in twips
    assert mm(section.page_width, section.page_height) == (210, 297)
    assert mm(section.top_margin, section.bottom_margin) == (37, 35)
    assert mm(section.left_margin, section.right_margin) == (28, 26)
    normal = doc.styles["Normal"]
    assert normal.font.size == Pt(16)
    line = normal.paragraph_format.line_spacing.mm
    assert 22 * line <= 225 < 23 * line  # 22 lines in the 225 mm type area

    paragraphs = [p for p in doc.paragraphs if p.text]
    text = [p.text for p in paragraphs]
    assert text[:3] == ["内部资料　注意保存", "社情民意", "第12期（总第120期）"]
    assert text[3] == "某某县政协办公室编\t签发：王主任\t2026年11月27日"
    masthead = paragraphs[1].runs[0]
    assert masthead.font.color.rgb is not None and str(masthead.font.color.rgb) == "E60012"
    title = paragraphs[text.index(PIECE["title"])].runs[0]
    assert title.font.size == Pt(22) and east_asian_font(title) == "方正小标宋简体"
    headings = [p for p in paragraphs if p.text in ("一、基本情况", "二、原因分析", "三、意见建议")]
    assert len(headings) == 6 and {east_asian_font(h.runs[0]) for h in headings} == {"黑体"}
    body = paragraphs[text.index("一、基本情况") + 1]
    assert body.paragraph_format.first_line_indent == Pt(32)  # two characters
    assert east_asian_font(body.runs[0]) in (None, "仿宋_GB2312")  # the style's font
    assert text.count("（民进县委会 张三）") == 1 and text.count("（本刊编辑部）") == 1
    # 版记 at the end, in 四号
    assert text[-4:] == ["报：市政协办公室", "送：县委办公室，县政府办公室", "编辑：赵编辑\t共印30份",
                         "内部资料　注意保存"]
    assert all(r.font.size == Pt(14) for p in paragraphs[-4:] for r in p.runs)
    # page numbers "— N —" outside: odd pages right, even pages left
    assert doc.settings.odd_and_even_pages_header_footer
    odd, even = section.footer.paragraphs[0], section.even_page_footer.paragraphs[0]
    assert odd.alignment == 2 and even.alignment == 0  # RIGHT, LEFT
    for footer in (odd, even):
        xml = footer._p.xml
        assert "PAGE" in xml and footer.text.startswith("— ") and footer.text.endswith(" —")
        assert all(r.font.size == Pt(14) for r in footer.runs)


def test_the_special_report_is_one_piece_in_the_same_frame():
    content = docx_issue.render_special_report("某某县政协办公室", PIECE, date(2026, 11, 27),
                                               "王主任", "县委、县政府主要领导")
    text = [p.text for p in Document(io.BytesIO(content)).paragraphs if p.text]
    assert text[1] == "社情民意专报" and PIECE["title"] in text
    assert "报：县委、县政府主要领导" in text and text[-1] == "内部资料　注意保存"


def test_libreoffice_prints_the_issue_on_four_a4_pages(tmp_path):
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice is missing: make test installs libreoffice-writer"
    (tmp_path / "issue.docx").write_bytes(render_issue())
    subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(tmp_path / "issue.docx")],
                   check=True, capture_output=True, timeout=120)
    pdf = (tmp_path / "issue.pdf").read_bytes()
    # Piece one fills pages 1-2 under the masthead; piece two starts a page and ends on 4
    # with the 版记. 28 characters a line: more or fewer would change the count.
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 4
    boxes = set(re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)", pdf))
    assert {(round(float(w)), round(float(h))) for w, h in boxes} == {(595, 842)}  # A4


def person(db, pid, name, roles, unit_ids=()):
    handlers.on_directory_events(db, events.parse_event(events.new_event(
        "directory.person_upserted", "admin", person={
            "id": pid, "username": pid, "display_name": name, "roles": list(roles),
            "unit_ids": list(unit_ids), "email": None, "active": True})))


def arrive(db, report_id, author, unit_id=None, consent=True):
    handlers.on_report_events(db, SimilarityIndex(), events.parse_event(events.new_event(
        "report_submitted", author, report_id, report={
            "id": report_id, "author_id": author, "co_author_ids": [], "unit_id": unit_id,
            "title": "关于加强农村饮水安全的建议", "category": "rural", "situation": "情况" * 40,
            "analysis": "分析" * 20, "suggestions": "建议" * 20, "consent_to_publish": consent,
            "submitted_at": datetime.now(timezone.utc).isoformat()})))


@both_backends
def test_the_credit_line_names_each_kind_of_author(databases):
    db = Database(databases.url("review"), metadata)
    handlers.on_directory_events(db, events.parse_event(events.new_event(
        "directory.unit_upserted", "admin", unit={"id": "u1", "name": "民进县委会",
                                                  "kind": "party"})))
    person(db, "zhang", "张三", ["member"], ["u1"])
    person(db, "li", "李四", ["member"])
    person(db, "wu", "吴六", ["officer"])
    arrive(db, "with-unit", "zhang", "u1")
    arrive(db, "member-alone", "li")
    arrive(db, "officer-alone", "wu")
    arrive(db, "private", "zhang", "u1", consent=False)

    class Settings:
        level, office_name = "county", "某某县政协办公室"
    credits = {}
    for report_id in ("with-unit", "member-alone", "officer-alone", "private"):
        piece = handlers.decide(db, Settings, EDITOR, report_id, "adopt", {})["piece_id"]
        document = publication.piece_docx(db, Settings, EDITOR, piece, {})
        text = [p.text for p in Document(io.BytesIO(base64.b64decode(
            document["content_base64"]))).paragraphs]
        credits[report_id] = next(t for t in text if t.startswith("（"))
    assert credits == {"with-unit": "（民进县委会 张三）", "member-alone": "（县政协委员 李四）",
                       "officer-alone": "（吴六）", "private": "（本刊编辑部）"}
    db.dispose()
