"""Word import (从Word导入): a report written in Word becomes the form's fields, found by
the headings offices use (docs/reports.md). Nothing is stored: the person checks the
fields and submits them like any report.

Reading is guarded before python-docx sees the file: the size, what the bytes are (an old
.doc or a WPS file is named as such), and a ZIP that would inflate far beyond its size.
Anything that cannot be placed is named in ``warnings``, never dropped silently.
"""
import io
import re

from docx import Document
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph

from . import uploads

MAX_BYTES = 10 * 1024 * 1024
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .doc, .wps, .xls of Office 97-2003
PARTS = ("situation", "analysis", "suggestions")
PART_NAMES = {"situation": "情况", "analysis": "分析", "suggestions": "建议"}
TITLE_MAX, PART_MAX = 60, 1500

# A heading says which part follows. Checked in this order: 存在问题及对策建议 is the
# suggestions, 问题原因分析 the analysis.
KEYWORDS = (("suggestions", ("建议", "对策", "意见", "措施", "举措")),
            ("analysis", ("分析", "问题", "原因", "症结")),
            ("situation", ("情况", "现状", "基本", "背景")))
NUMBERED = re.compile(r"^\s*([一二三四五六七八九十]{1,3})\s*[、.．]\s*")
BRACKETED = re.compile(r"^\s*[【\[]([^】\]]{1,12})[】\]]\s*[：:]?\s*")
NAMED = re.compile(r"^\s*([^：:，。,]{1,12})[：:]\s*")
SUBTITLE = re.compile(r"^\s*(——|—|--|－－)")
HEADING_MAX = 20  # longer, or with a full stop, it is a sentence of the text


class NotADocx(ValueError):
    """The upload is not a .docx; ``reason`` says what it is instead (for the person)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def check_bytes(content: bytes) -> None:
    """Refuse what is not a Word 2007+ document before anything parses it."""
    if content.startswith(OLE2):
        raise NotADocx("doc")
    if not content.startswith(b"PK\x03\x04"):
        raise NotADocx("not_docx")
    try:
        if uploads.office_type(content) != uploads.DOCX:
            raise NotADocx("not_docx")
    except uploads.Refused:
        raise NotADocx("bomb") from None


def read_report(content: bytes) -> dict:
    """``{title, situation, analysis, suggestions, warnings}`` of a .docx (NotADocx when
    it is none)."""
    check_bytes(content)
    try:
        document = Document(io.BytesIO(content))
    except Exception:  # python-docx raises what its parts raise: the file is broken
        raise NotADocx("not_docx") from None
    return _split(list(_blocks(document)), _images(document))


def _blocks(document):
    """(text, style name, auto-numbered, is table) of the body, in reading order."""
    for child in document.element.body.iterchildren():
        if child.tag == qn("w:p"):
            paragraph = Paragraph(child, document)
            style = paragraph.style.name if paragraph.style is not None else ""
            numbered = child.find(f"{qn('w:pPr')}/{qn('w:numPr')}") is not None
            yield paragraph.text.strip(), style or "", numbered, False
        elif child.tag == qn("w:tbl"):
            rows = []
            for row in Table(child, document).rows:
                cells = []
                for cell in row.cells:  # a merged cell repeats: keep it once
                    text = " ".join(cell.text.split())
                    if not cells or cells[-1] != text:
                        cells.append(text)
                rows.append("　".join(c for c in cells if c))
            yield "\n".join(r for r in rows if r), "", False, True


def _images(document) -> int:
    return len(document.element.body.findall(".//" + qn("a:blip")))


def _part_of(words: str):
    for part, keys in KEYWORDS:
        if any(key in words for key in keys):
            return part
    return None


def _heading(text: str, style: str, numbered: bool):
    """(part or "numbered", the text after the heading) when ``text`` is a heading."""
    is_heading_style = style.lower().startswith("heading") or style.startswith("标题")
    match = NUMBERED.match(text)
    if match:
        rest = text[match.end():]
        name, after = _name_and_rest(rest)
        if len(name) <= HEADING_MAX and "。" not in name:
            return _part_of(name) or "numbered", after
        return None
    for pattern in (BRACKETED, NAMED):  # 【情况】… or 情况：…
        named = pattern.match(text)
        if named and len(named.group(1).strip()) <= 8 and _part_of(named.group(1)):
            return _part_of(named.group(1)), text[named.end():].strip()
    bare = text.strip("【】[]：: ")
    if len(bare) <= 8 and _part_of(bare) and "。" not in bare:
        return _part_of(bare), ""
    if (is_heading_style or numbered) and len(bare) <= HEADING_MAX and "。" not in bare:
        return _part_of(bare) or "numbered", ""
    return None


def _name_and_rest(text: str):
    """一、基本情况：某某县… → (基本情况, 某某县…)."""
    match = re.search(r"[：:]", text)
    if not match:
        return text.strip(), ""
    return text[:match.start()].strip(), text[match.end():].strip()


def _split(blocks, images: int) -> dict:
    warnings = []
    found = {part: [] for part in PARTS}
    unplaced = []
    title = ""
    current = None
    numbered_seen = 0
    headings = 0
    tables = 0
    for position, (text, style, numbered, is_table) in enumerate(blocks):
        if not text:
            continue
        if is_table:
            tables += 1
        if not title and not is_table:
            title = text
            continue
        if not is_table and SUBTITLE.match(text) and current is None and not any(found.values()):
            subtitle = text.strip()
            joined = f"{title}{subtitle}"
            if len(joined) <= TITLE_MAX:
                title = joined
            else:
                warnings.append(f"副标题“{_excerpt(subtitle)}”放入标题会超过{TITLE_MAX}字，"
                                "未放入，请按需要修改标题。")
            continue
        heading = None if is_table else _heading(text, style, numbered)
        if heading:
            part, rest = heading
            headings += 1
            if part == "numbered":
                numbered_seen += 1
                if numbered_seen > len(PARTS):
                    part = PARTS[-1]
                    warnings.append(f"第{numbered_seen}个编号标题“{_excerpt(text)}”多于三部分，"
                                    "已并入“建议”，请核对。")
                else:
                    part = PARTS[numbered_seen - 1]
            else:
                numbered_seen = max(numbered_seen, PARTS.index(part) + 1)
            current = part
            if rest:
                found[part].append(rest)
            continue
        if current is None:
            unplaced.append(text)
            continue
        found[current].append(text)
    if headings == 0 and unplaced:
        # No heading at all: the whole text goes to 情况 for the person to divide.
        found["situation"], unplaced = unplaced, []
        warnings.append("没有找到“情况、分析、建议”等小标题，正文已全部放入“情况”，"
                        "请把分析和建议分别移到对应栏目。")
    for text in unplaced:
        warnings.append(f"未能归入任何部分的内容（已略去，请按需要补入）：“{_excerpt(text)}”")
    answer = {"title": title}
    for part in PARTS:
        answer[part] = "\n".join(found[part])
        if not answer[part] and headings:
            warnings.append(f"没有找到“{PART_NAMES[part]}”部分，请补写。")
        if len(answer[part]) > PART_MAX:
            warnings.append(f"“{PART_NAMES[part]}”有{len(answer[part])}字，超过{PART_MAX}字，"
                            "请删减后再提交。")
    if not title:
        warnings.append("文档是空的：没有找到任何文字。")
    elif len(title) > TITLE_MAX:
        warnings.append(f"标题有{len(title)}字，超过{TITLE_MAX}字，请精简。")
    if tables:
        warnings.append(f"文档中的{tables}个表格已按行转为文字（单元格之间以空格分隔），请核对。")
    if images:
        warnings.append(f"文档中的{images}张图片未导入正文，如需要请作为附件上传。")
    return {**answer, "warnings": warnings}


def _excerpt(text: str, length: int = 30) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[:length] + "…"
