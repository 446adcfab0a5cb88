"""Documents in the national layout for official papers, GB/T 9704-2012 (docs/office.md).

A4 with the standard type area (天头 37 mm, 订口 28 mm, 版心 156 × 225 mm), body text in
仿宋_GB2312 三号 on a grid of 22 lines of 28 characters, titles in 方正小标宋简体 二号,
first-level headings in 黑体 and second-level in 楷体_GB2312, page numbers "— 1 —" in
四号 at the outside bottom (odd pages right, even pages left, one character in), the red
separator under the masthead, and the 版记 between a thick, thin and thick rule.

Shared by the services that write documents (review: the issue and 专报; scoring: the
通报); each builds its own document from these parts.
"""
import copy
import io
import math

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.text.paragraph import Paragraph

# Font names as offices have them installed; a machine without them substitutes its own
# CJK fonts (LibreOffice on Debian: Noto CJK), the sizes and grid stay.
FANGSONG = "仿宋_GB2312"
XIAOBIAOSONG = "方正小标宋简体"
HEITI = "黑体"
KAITI = "楷体_GB2312"
SONGTI = "宋体"
LATIN = "Times New Roman"

# Chinese type sizes in points.
CHU = 42        # 初号
XIAO_CHU = 36   # 小初
ER = 22         # 二号
SAN = 16        # 三号
SI = 14         # 四号

RED = RGBColor(0xE6, 0x00, 0x12)  # the red of mastheads and their rule
TYPE_WIDTH_MM, TYPE_HEIGHT_MM = 156, 225
LINES, CHARS = 22, 28
# 28.95 pt: the widest line, in Word's twentieths of a point, that fits 22 in 225 mm.
LINE_PITCH = Pt(math.floor(TYPE_HEIGHT_MM / 25.4 * 72 / LINES * 20) / 20)
CHAR_PITCH_PT = TYPE_WIDTH_MM / 25.4 * 72 / CHARS         # 15.79 pt: 28 characters in 156 mm
# 三号 is 16 pt wide: condensed by a quarter point (in twentieths) 28 fit a line.
CONDENSE = -5


def _set_fonts(run, name: str, size: float, bold=False, color=None) -> None:
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.name = LATIN
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), name)  # the CJK text's font has its own slot
    if color is not None:
        run.font.color.rgb = color


def _plain(text: str) -> bool:
    """Text that one run holds as it is: no tab or line break (python-docx turns those
    into elements of their own), no space at either end (that needs xml:space), and not
    empty (an empty run has no text element to fill)."""
    return (bool(text) and text == text.strip() and "\t" not in text and "\n" not in text
            and "\r" not in text)


def _set_widths(row, widths_mm) -> None:
    """Each cell of ``row`` as wide as given (Word reads the cells' widths)."""
    for cell, width in zip(row.cells, widths_mm or ()):
        cell.width = Mm(width)


def _rule(paragraph, edge: str, thickness_eighths: int, color="000000") -> None:
    """A line over the type area's width along one edge of a paragraph."""
    ppr = paragraph._p.get_or_add_pPr()
    borders = ppr.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        ppr.append(borders)
    line = OxmlElement(f"w:{edge}")
    for key, value in (("w:val", "single"), ("w:sz", str(thickness_eighths)),
                       ("w:space", "1"), ("w:color", color)):
        line.set(qn(key), value)
    borders.append(line)


def _off_grid(paragraph) -> None:
    """Lay this paragraph out freely: on the 28-character grid a character larger than
    三号 would take two cells."""
    ppr = paragraph._p.get_or_add_pPr()
    snap = OxmlElement("w:snapToGrid")
    snap.set(qn("w:val"), "0")
    ppr.append(snap)


def _page_field(paragraph, size: float) -> None:
    """"— N —": the number is a PAGE field Word and LibreOffice fill in."""
    _set_fonts(paragraph.add_run("— "), SONGTI, size)
    run = paragraph.add_run()
    _set_fonts(run, SONGTI, size)
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"),
                       ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText" if text.strip() == "PAGE" else "w:t")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._r.append(element)
    _set_fonts(paragraph.add_run(" —"), SONGTI, size)


class OfficialDocument:
    def __init__(self):
        self.doc = Document()
        self._table_styles = {}  # size -> the paragraph style of table cells
        section = self.doc.sections[0]
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin, section.bottom_margin = Mm(37), Mm(35)
        section.left_margin, section.right_margin = Mm(28), Mm(26)
        # The page number's top sits 7 mm under the type area; 四号 is about 5 mm high.
        section.footer_distance = Mm(23)
        section.header_distance = Mm(15)
        self._grid(section)
        # The grid's character pitch is counted from the document's default size.
        defaults = self.doc.styles.element.find(qn("w:docDefaults"))
        rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
        for tag in ("w:sz", "w:szCs"):
            size = rpr.find(qn(tag))
            if size is None:
                size = OxmlElement(tag)
                rpr.append(size)
            size.set(qn("w:val"), str(SAN * 2))
        normal = self.doc.styles["Normal"]
        normal.font.size = Pt(SAN)
        normal.font.name = LATIN
        normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FANGSONG)
        spacing = OxmlElement("w:spacing")
        spacing.set(qn("w:val"), str(CONDENSE))
        normal.element.get_or_add_rPr().append(spacing)
        normal.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        normal.paragraph_format.line_spacing = LINE_PITCH
        normal.paragraph_format.space_before = normal.paragraph_format.space_after = Pt(0)
        self._page_numbers(section)

    @staticmethod
    def _grid(section) -> None:
        """Word's line grid: 22 lines in the type area. (Characters keep to 28 a line by
        their spacing, see ``CONDENSE``: a character grid would be laid out differently by
        Word and LibreOffice.)"""
        sect_pr = section._sectPr
        grid = sect_pr.find(qn("w:docGrid"))
        if grid is None:
            grid = OxmlElement("w:docGrid")
            sect_pr.append(grid)
        grid.set(qn("w:type"), "lines")
        grid.set(qn("w:linePitch"), str(round(LINE_PITCH.pt * 20)))

    def _page_numbers(self, section) -> None:
        self.doc.settings.odd_and_even_pages_header_footer = True
        for footer, alignment, side in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT, "right"),
                                        (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT,
                                         "left")):
            paragraph = footer.paragraphs[0]
            paragraph.alignment = alignment
            paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
            setattr(paragraph.paragraph_format, f"{side}_indent", Pt(SI))  # one character in
            _page_field(paragraph, SI)

    # --- parts ----------------------------------------------------------------------------
    def paragraph(self, text="", font=FANGSONG, size=SAN, align=None, indent=False, bold=False,
                  color=None, space_after=0):
        paragraph = self.doc.add_paragraph()
        if align is not None:
            paragraph.alignment = align
        if indent:
            paragraph.paragraph_format.first_line_indent = Pt(size * 2)  # 首行缩进二字
        if space_after:
            paragraph.paragraph_format.space_after = Pt(space_after)
        if size != SAN:
            _off_grid(paragraph)
        if size > SAN:
            # Large type on an exact 28.95 pt line would be clipped: give it room.
            paragraph.paragraph_format.line_spacing = Pt(size * 1.5)
        if text:
            _set_fonts(paragraph.add_run(text), font, size, bold, color)
        return paragraph

    def corner_mark(self, text: str) -> None:
        """Top left of the first page, where GB/T 9704 puts 密级 (黑体 三号)."""
        self.paragraph(text, HEITI)

    def masthead(self, name: str, size=XIAO_CHU) -> None:
        """The red name of the publication, centred (版头)."""
        self.paragraph(name, XIAOBIAOSONG, size, WD_ALIGN_PARAGRAPH.CENTER, color=RED)

    def dateline(self, left: str, middle: str, right: str) -> None:
        """One line under the masthead, then the red separator (版头分隔线)."""
        paragraph = self.doc.add_paragraph()
        width = Mm(TYPE_WIDTH_MM)
        stops = paragraph.paragraph_format.tab_stops
        stops.add_tab_stop(width // 2, WD_TAB_ALIGNMENT.CENTER)
        stops.add_tab_stop(width, WD_TAB_ALIGNMENT.RIGHT)
        _off_grid(paragraph)
        _set_fonts(paragraph.add_run(f"{left}\t{middle}\t{right}"), FANGSONG, SAN)
        _rule(paragraph, "bottom", 18, "E60012")  # about 0.6 mm, red
        self.paragraph()

    def centred_line(self, text: str, size=SAN, font=FANGSONG) -> None:
        self.paragraph(text, font, size, WD_ALIGN_PARAGRAPH.CENTER)

    def title(self, text: str) -> None:
        self.paragraph(text, XIAOBIAOSONG, ER, WD_ALIGN_PARAGRAPH.CENTER)

    def heading(self, text: str, level=1) -> None:
        self.paragraph(text, HEITI if level == 1 else KAITI, SAN, indent=True)

    def body(self, text: str) -> None:
        for line in filter(None, (part.strip() for part in (text or "").split("\n"))):
            self.paragraph(line, indent=True)

    def signature(self, text: str) -> None:
        """A credit or signature line, right-aligned, two characters in (楷体).

        The 落款 never stands on a page without the text it closes: each line keeps with
        the one above it, across a blank line up to the last line of text (the last row
        of a table counts as that line)."""
        paragraph = self.paragraph(text, KAITI, SAN, WD_ALIGN_PARAGRAPH.RIGHT)
        paragraph.paragraph_format.right_indent = Pt(SAN * 2)
        previous = paragraph._p.getprevious()
        while previous is not None:
            if previous.tag == qn("w:tbl"):
                for cell in previous.findall(qn("w:tr"))[-1].findall(qn("w:tc")):
                    for p in cell.findall(qn("w:p")):
                        Paragraph(p, paragraph._parent).paragraph_format.keep_with_next = True
                break
            if previous.tag != qn("w:p"):
                break
            Paragraph(previous, paragraph._parent).paragraph_format.keep_with_next = True
            if "".join(previous.itertext()).strip():
                break
            previous = previous.getprevious()

    def page_break(self) -> None:
        self.doc.add_page_break()

    def table(self, headers, rows, widths_mm=None, size=12) -> None:
        """A ruled table in 小四 (tables are outside the 28-character grid); a table that
        runs onto the next page repeats its header row there."""
        table = self.doc.add_table(rows=1, cols=len(headers))
        table.style = "Table Grid"
        table.autofit = False
        repeat = OxmlElement("w:tblHeader")
        repeat.set(qn("w:val"), "true")
        table.rows[0]._tr.get_or_add_trPr().append(repeat)
        self._header_row(table.rows[0], headers, size, widths_mm)
        # Every row is laid out alike, so the first is made cell by cell and the rest are
        # copies of it with their own text: python-docx takes some 5 ms a row, which put a
        # bulletin listing 70,000 members past a minute.
        model = None
        for values in rows:
            texts = [str(value) for value in values]
            copyable = len(texts) == len(headers) and all(map(_plain, texts))
            if model is not None and copyable:
                row = copy.deepcopy(model)
                for element, text in zip(row.iter(qn("w:t")), texts):
                    element.text = text
                table._tbl.append(row)
                continue
            row = table.add_row()
            for cell, text in zip(row.cells, texts):
                cell.paragraphs[0].style = self._table_text(size)
                cell.paragraphs[0].add_run(text)
            _set_widths(row, widths_mm)
            if copyable:
                model = row._tr
        if widths_mm:  # LibreOffice reads the grid, Word the cells
            for column, width in zip(table.columns, widths_mm):
                column.width = Mm(width)
        self.paragraph()

    def _table_text(self, size: float):
        """The paragraph style of a table's cells: 仿宋 at ``size``, centred, single-spaced,
        off the grid. A style rather than each cell's own formatting: a bulletin has some
        800,000 cells, and their formatting was most of its XML."""
        if size in self._table_styles:
            return self._table_styles[size]
        styles = self.doc.styles
        style = styles.add_style(f"Table Text {size:g}", WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = styles["Normal"]
        style.quick_style = False
        style.font.size = Pt(size)
        style.font.bold = False
        style.font.name = LATIN
        style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FANGSONG)
        style.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        style.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
        snap = OxmlElement("w:snapToGrid")
        snap.set(qn("w:val"), "0")
        style.element.get_or_add_pPr().append(snap)
        self._table_styles[size] = style
        return style

    @staticmethod
    def _header_row(row, headers, size: float, widths_mm) -> None:
        for cell, value in zip(row.cells, headers):
            paragraph = cell.paragraphs[0]
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _set_fonts(paragraph.add_run(str(value)), HEITI, size)
            paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
            _off_grid(paragraph)
        _set_widths(row, widths_mm)

    def picture(self, png: bytes, width_mm=150) -> Paragraph:
        """A centred picture at the end of the document so far.

        python-docx numbers a picture by an XPath over every node of the document, which
        libxml2 refuses past ten million (a bulletin listing 70,000 members): a document
        with long tables makes its pictures first and puts them in place with
        ``move_to_end``."""
        paragraph = self.doc.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
        paragraph.add_run().add_picture(io.BytesIO(png), width=Mm(width_mm))
        return paragraph

    def move_to_end(self, paragraph: Paragraph) -> None:
        """Put ``paragraph``, made earlier, after everything written since."""
        body = self.doc.element.body
        body.remove(paragraph._p)
        if body.sectPr is None:
            body.append(paragraph._p)
        else:
            body.sectPr.addprevious(paragraph._p)

    def record(self, blocks) -> None:
        """版记 after the last text: ``blocks`` is a list of lists of lines; a thick rule
        above the first block and under the last, thin rules between (GB/T 9704 §7.4)."""
        self.paragraph()
        for number, lines in enumerate(blocks):
            for index, line in enumerate(lines):
                paragraph = self.paragraph(line, FANGSONG, SI)
                paragraph.paragraph_format.left_indent = Pt(SI)
                paragraph.paragraph_format.right_indent = Pt(SI)
                if "\t" in line:
                    paragraph.paragraph_format.tab_stops.add_tab_stop(
                        Mm(TYPE_WIDTH_MM) - Pt(SI * 2), WD_TAB_ALIGNMENT.RIGHT)
                if index == 0:
                    _rule(paragraph, "top", 8 if number == 0 else 6)
                if number == len(blocks) - 1 and index == len(lines) - 1:
                    _rule(paragraph, "bottom", 8)

    def to_bytes(self) -> bytes:
        out = io.BytesIO()
        self.doc.save(out)
        return out.getvalue()

