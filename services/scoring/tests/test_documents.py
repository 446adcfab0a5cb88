"""The award decision and a member's record (履职档案) as LibreOffice prints them: A4, the
national layout's margins (37/35/28/26 mm), its fonts for the body, headings and title,
and CJK glyphs embedded so that the print shows Chinese, not boxes."""
import io
import re
import shutil
import subprocess
from datetime import date

import pytest
from docx import Document
from docx.oxml.ns import qn

from services.scoring.adapters import award_files, record_files

AWARDS = {
    "period_words": "2025—2026年度",
    "advanced_units": [
        {"award": "一等奖", "rank": 1, "name": "民进县委会", "points": 42.5, "submitted": 12,
         "adopted": 7},
        {"award": "二等奖", "rank": 2, "name": "农工党县委会", "points": 30, "submitted": 9,
         "adopted": 4},
    ],
    "excellent_officers": [{"name": "李四", "unit_names": ["民进县委会"], "points": 21,
                            "adopted": 5}],
    "excellent_reports": [
        {"title": "关于加强农村饮水安全保障的建议", "author_name": "张三", "credit": None},
        {"title": "关于规范农村集贸市场管理的建议", "author_name": None, "credit": "本刊编辑部"},
    ],
}

RECORD = {
    "name": "张三", "period_words": "十五届（2023—2027年）", "unit_names": ["民进县委会"],
    "totals": {"submitted": 9, "adopted": 4, "upstream_adopted": 2, "instructions": 1,
               "points": 31.5},
    "years": [{"year": y, "quota": 4, "submitted": n, "met": n >= 4}
              for y, n in ((2023, 2), (2024, 4), (2025, 3))],
    "reports": [{"title": f"关于第{n}项民生事项的建议", "submitted_on": f"2025-0{n}-15",
                 "credit": "author" if n % 2 else "co_author", "status_words": "采用",
                 "outcomes": ["市级采用 2025年5月1日", "县长批示"] if n == 1 else []}
                for n in range(1, 10)],
}

DOCUMENTS = {
    "awards": lambda: award_files.render("某某县政协办公室", AWARDS, date(2026, 12, 5)),
    "record": lambda: record_files.person_docx("某某县政协办公室", RECORD, date(2026, 12, 5)),
}


@pytest.mark.parametrize("name", DOCUMENTS)
def test_the_document_keeps_the_national_page_and_fonts(name):
    document = Document(io.BytesIO(DOCUMENTS[name]()))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert [round(m.mm) for m in (section.top_margin, section.bottom_margin,
                                  section.left_margin, section.right_margin)] == [37, 35, 28, 26]
    fonts = {r._element.rPr.rFonts.get(qn("w:eastAsia"))
             for p in document.paragraphs for r in p.runs if r.text.strip()}
    assert "仿宋_GB2312" in fonts and "方正小标宋简体" in fonts and "黑体" in fonts  # body, title, headings
    assert document.paragraphs[0].runs[0].font.size.pt == 22  # 二号 title
    # The 落款 keeps with the last row of the table above it: never alone on a page.
    signature = [p for p in document.paragraphs if p.text.strip()][-2:]
    assert [p.text for p in signature] == ["某某县政协办公室", "2026年12月5日"]
    assert signature[0].paragraph_format.keep_with_next
    # A table running onto the next page repeats its header row there.
    assert all(t.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None for t in document.tables)
    last_row = document.tables[-1].rows[-1]
    assert all(p.paragraph_format.keep_with_next for c in last_row.cells for p in c.paragraphs)


@pytest.mark.parametrize("name", DOCUMENTS)
def test_libreoffice_prints_it_on_a4_with_chinese_glyphs(name, tmp_path):
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice is missing: make test installs libreoffice-writer"
    (tmp_path / f"{name}.docx").write_bytes(DOCUMENTS[name]())
    subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(tmp_path / f"{name}.docx")],
                   check=True, capture_output=True, timeout=120)
    pdf = (tmp_path / f"{name}.pdf").read_bytes()
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert 1 <= pages <= 3, pages
    boxes = set(re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)", pdf))
    assert {(round(float(w)), round(float(h))) for w, h in boxes} == {(595, 842)}  # A4
    embedded = set(re.findall(rb"/FontName\s*/[A-Z]{6}\+([\w-]+)", pdf))
    assert any(b"CJK" in f for f in embedded), embedded  # Chinese drawn with a CJK font
