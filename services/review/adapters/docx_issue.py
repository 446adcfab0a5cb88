"""An issue of 《社情民意》 as a Word document, in the layout offices use: a red masthead,
the issue number, the office and date over a red rule, then each piece with its
title, text and submitter line."""
import io

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor

RED = RGBColor(0xC0, 0x00, 0x00)
SECTIONS = ("situation", "analysis", "suggestions")


def _font(run, size, bold=False, color=None, name="宋体"):
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.name = name
    run._element.rPr.rFonts.set(qn("w:eastAsia"), name)  # CJK text needs its own font slot
    if color is not None:
        run.font.color.rgb = color


def _red_rule(paragraph):
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "18"), ("w:space", "1"),
                       ("w:color", "C00000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    paragraph._p.get_or_add_pPr().append(borders)


def render(office_name: str, label: str, published_on, pieces) -> bytes:
    doc = Document()
    masthead = doc.add_paragraph()
    masthead.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(masthead.add_run("社情民意"), 36, bold=True, color=RED, name="方正小标宋简体")

    number = doc.add_paragraph()
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(number.add_run(label), 16)

    dateline = doc.add_paragraph()
    _font(dateline.add_run(f"{office_name}　　　　　　{published_on.year}年"
                           f"{published_on.month}月{published_on.day}日"), 14)
    _red_rule(dateline)

    for piece in pieces:
        title = doc.add_paragraph()
        title.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _font(title.add_run(piece["title"]), 18, bold=True, name="黑体")
        for field in SECTIONS:
            for text in filter(None, (piece.get(field) or "").split("\n")):
                paragraph = doc.add_paragraph()
                paragraph.paragraph_format.first_line_indent = Pt(32)
                _font(paragraph.add_run(text), 16, name="仿宋")
        credit = doc.add_paragraph()
        credit.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        _font(credit.add_run(f"（{piece['credit']}）"), 14, name="楷体")

    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
