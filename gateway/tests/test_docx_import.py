"""Word import on documents shaped like those offices receive, made here with
python-docx: numbered and named headings, a title with a subtitle, a table, a text
without headings, and what is not a .docx at all."""
import io
import zipfile

import pytest
from docx import Document
from docx.shared import Inches
from PIL import Image

from gateway.adapters import docx_import
from gateway.adapters.docx_import import NotADocx

SITUATION = "我县部分偏远山村仍依靠山泉水和浅井取水，旱季断水、雨季浑浊的情况时有发生。"
ANALYSIS = "一是供水管网老化严重；二是管护经费不足；三是村级管水员缺少培训。"
SUGGESTIONS = "一是将农村供水管护经费纳入县级财政预算；二是建立村级管水员制度。"


def docx(*paragraphs, table=None, image=False, headings=()) -> bytes:
    document = Document()
    for text in paragraphs:
        if text in headings:
            document.add_heading(text, level=1)
        else:
            document.add_paragraph(text)
        if table is not None and text == table[0]:
            rows = table[1]
            grid = document.add_table(rows=len(rows), cols=len(rows[0]))
            for r, row in enumerate(rows):
                for c, value in enumerate(row):
                    grid.cell(r, c).text = value
    if image:
        picture = io.BytesIO()
        Image.new("RGB", (8, 8), "red").save(picture, format="PNG")
        picture.seek(0)
        document.add_picture(picture, width=Inches(1))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_a_numbered_layout_fills_the_three_parts():
    read = docx_import.read_report(docx(
        "关于加强农村饮水安全保障的建议", "民进县委会 张三",
        "一、基本情况", SITUATION, "二、存在问题", ANALYSIS, "三、对策建议", SUGGESTIONS))
    assert read["title"] == "关于加强农村饮水安全保障的建议"
    assert (read["situation"], read["analysis"], read["suggestions"]) == (
        SITUATION, ANALYSIS, SUGGESTIONS)
    # The author's line sits before any heading: named, not dropped silently.
    assert len(read["warnings"]) == 1 and "民进县委会 张三" in read["warnings"][0]


def test_numbered_headings_without_the_usual_words_go_in_order():
    read = docx_import.read_report(docx(
        "关于规范校外培训收费的建议", "一、收费乱象频发", SITUATION, "二、监管存在短板", ANALYSIS,
        "三、几点建议", SUGGESTIONS, "一、建立预收费资金监管账户。"))
    assert read["situation"] == SITUATION and read["analysis"] == ANALYSIS
    # A numbered sentence inside a part is text of that part, not a fourth heading.
    assert read["suggestions"] == f"{SUGGESTIONS}\n一、建立预收费资金监管账户。"
    assert read["warnings"] == []


def test_named_headings_with_text_after_them_and_word_heading_styles():
    read = docx_import.read_report(docx(
        "关于完善城区停车设施的建议", f"情况：{SITUATION}", "【原因分析】", ANALYSIS,
        "意见建议", SUGGESTIONS, headings=("意见建议",)))
    assert (read["situation"], read["analysis"], read["suggestions"]) == (
        SITUATION, ANALYSIS, SUGGESTIONS)
    assert read["warnings"] == []


def test_a_title_with_its_subtitle_and_a_table_inside():
    read = docx_import.read_report(docx(
        "老旧小区加装电梯难在哪里", "——关于加快老旧小区加装电梯的建议", "一、基本情况", SITUATION,
        "二、原因分析", ANALYSIS, "三、对策建议", SUGGESTIONS,
        table=(SITUATION, [["小区", "楼栋数", "已加装"], ["东风小区", "12", "1"]]), image=True))
    assert read["title"] == "老旧小区加装电梯难在哪里——关于加快老旧小区加装电梯的建议"
    assert read["situation"] == f"{SITUATION}\n小区　楼栋数　已加装\n东风小区　12　1"
    assert any("1个表格已按行转为文字" in w for w in read["warnings"])
    assert any("1张图片未导入正文" in w for w in read["warnings"])


def test_a_text_without_headings_goes_to_situation_with_a_warning():
    read = docx_import.read_report(docx("关于治理河道垃圾的建议", SITUATION, ANALYSIS,
                                        SUGGESTIONS))
    assert read["situation"] == "\n".join((SITUATION, ANALYSIS, SUGGESTIONS))
    assert read["analysis"] == read["suggestions"] == ""
    assert len(read["warnings"]) == 1 and "没有找到“情况、分析、建议”等小标题" in read["warnings"][0]


def test_a_missing_part_and_a_part_too_long_are_named():
    read = docx_import.read_report(docx("关于治理河道垃圾的建议", "一、基本情况", SITUATION * 45,
                                        "三、对策建议", SUGGESTIONS))
    assert read["analysis"] == "" and read["suggestions"] == SUGGESTIONS
    assert any("没有找到“分析”部分" in w for w in read["warnings"])
    assert any("“情况”有" in w and "超过1500字" in w for w in read["warnings"])


@pytest.mark.parametrize("content, reason", [
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "doc"),  # Word 97-2003 or WPS
    (b"MZ\x90\x00" + b"\0" * 100, "not_docx"),  # a program, renamed
    (b"", "not_docx"),
])
def test_what_is_not_a_docx_is_named(content, reason):
    with pytest.raises(NotADocx) as refused:
        docx_import.read_report(content)
    assert refused.value.reason == reason


def test_an_xlsx_or_a_plain_zip_is_no_docx():
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("[Content_Types].xml", "<Types><Default ContentType="
                   "\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\""
                   "/></Types>")
    with pytest.raises(NotADocx) as refused:
        docx_import.read_report(archive.getvalue())
    assert refused.value.reason == "not_docx"
    broken = docx("关于某事的建议")[:2000]  # cut short in transfer
    with pytest.raises(NotADocx):
        docx_import.read_report(broken)


def test_a_zip_bomb_dressed_as_a_docx_is_refused_before_it_is_inflated():
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        with zipfile.ZipFile(io.BytesIO(docx("关于某事的建议"))) as real:
            for item in real.infolist():
                z.writestr(item, real.read(item))
        with z.open("word/media/padding.bin", "w", force_zip64=True) as padding:
            chunk = b"\0" * (1 << 20)
            for _ in range(120):  # 120 MB of zeros, about 120 KB packed
                padding.write(chunk)
    assert len(bomb.getvalue()) < 1 << 20
    with pytest.raises(NotADocx) as refused:
        docx_import.read_report(bomb.getvalue())
    assert refused.value.reason == "bomb"
