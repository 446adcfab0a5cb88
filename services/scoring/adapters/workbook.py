"""Workbooks of the office's lists, written straight as SpreadsheetML.

Every sheet the office sends out has one shape: a heading in bold 14 pt, the column
names in bold and centred, the rows, perhaps a bold total, frozen under the names.
Writing that shape as text takes about a microsecond a cell; openpyxl builds an object
per cell and took some 12 s for a province's 100,000 members. Strings are always
stored as text (inline strings), so a name such as ``=HYPERLINK(...)`` is never a
formula in Excel or WPS. Files are read back with openpyxl in the tests.
"""
import io
import re
import zipfile
from xml.sax.saxutils import escape, quoteattr

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

# Style numbers of cellXfs below.
PLAIN, BOLD, TITLE, COLUMN_NAME = 0, 1, 2, 3
STYLES = (HEAD + f'<styleSheet xmlns="{MAIN}">'
          '<fonts count="3"><font><sz val="11"/><name val="Calibri"/></font>'
          '<font><b/><sz val="11"/><name val="Calibri"/></font>'
          '<font><b/><sz val="14"/><name val="Calibri"/></font></fonts>'
          '<fills count="2"><fill><patternFill patternType="none"/></fill>'
          '<fill><patternFill patternType="gray125"/></fill></fills>'
          '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
          '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
          '</cellStyleXfs>'
          '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
          '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
          '<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
          '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" '
          'applyAlignment="1"><alignment horizontal="center"/></xf></cellXfs>'
          '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
          '</styleSheet>')

# Characters XML 1.0 cannot hold; a name pasted from elsewhere may carry one.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
LETTERS = [chr(ord("A") + n) for n in range(26)]


def _cell(reference: str, value, style: int) -> str:
    styled = f' s="{style}"' if style else ""
    if type(value) is int:  # most cells of a long list: ranks and counts
        return f'<c r="{reference}"{styled}><v>{value}</v></c>'
    if isinstance(value, bool) or value is None:
        value = "" if value is None else ("是" if value else "否")
    if isinstance(value, (int, float)):
        return f'<c r="{reference}"{styled}><v>{value!r}</v></c>'
    return _text_cell(value, f' r="{reference}"{styled}')


def _row(number: int, values, style: int = PLAIN) -> str:
    cells = "".join(_cell(f"{letter}{number}", value, style)
                    for letter, value in zip(LETTERS, values) if value is not None)
    return f'<row r="{number}">{cells}</row>'


def _text_cell(value, attributes: str = "") -> str:
    """A text cell: always an inline string, never a formula, whatever it holds."""
    text = value if type(value) is str else str(value)
    if not text.isprintable():  # rare: a control character, a tab or an odd space
        text = NOT_XML.sub("", text)
    if "&" in text or "<" in text or ">" in text:
        text = escape(text)
    space = ' xml:space="preserve"' if text and (text[0].isspace() or text[-1].isspace()) else ""
    return f'<c{attributes} t="inlineStr"><is><t{space}>{text}</t></is></c>'


PLAIN_TYPES = (int, float, str, type(None))


def _shape_template(shape: tuple) -> str:
    """A %-template of a plain row whose cells have the types of ``shape``, filled with
    the row's number and then its cells as written. The cells carry no reference, which
    the format leaves optional: each is the next column, and an empty one (<c/>) holds
    its place (openpyxl reads them so in the tests, and LibreOffice Calc does too)."""
    cells = []
    for kind in shape:
        if kind is type(None):
            cells.append("<c/>")
        elif kind is str:
            cells.append("%s")
        else:
            cells.append("<c><v>%s</v></c>")
    return '<row r="%d">' + "".join(cells) + "</row>"


def _rows(rows, first: int):
    """The XML of plain ``rows`` numbered from ``first``. A long list's rows share a few
    shapes (which cells are numbers, which text): each shape's template is made once and
    filled per row, instead of a cell at a time."""
    templates = {}
    for number, values in enumerate(rows, start=first):
        shape = tuple(map(type, values))
        template = templates.get(shape)
        if template is None:
            if len(shape) > len(LETTERS) or not all(kind in PLAIN_TYPES for kind in shape):
                yield _row(number, values)
                continue
            template = templates[shape] = _shape_template(shape)
        yield template % (number, *[
            value if kind is int else (_text_cell(value) if kind is str else repr(value))
            for kind, value in zip(shape, values) if value is not None])


class Workbook:
    """Sheets of the office's one shape, in the order added."""

    def __init__(self):
        self.sheets = []  # (name, xml)

    def add_sheet(self, name: str, heading: str, columns, rows, widths, total=None) -> None:
        """``rows`` of plain values (numbers stay numbers, the rest is text) under
        ``heading`` and the bold ``columns``, then ``total`` in bold if given."""
        if len(columns) > len(LETTERS):
            raise ValueError("a sheet of the office has at most 26 columns")
        parts = [HEAD, f'<worksheet xmlns="{MAIN}"><sheetViews><sheetView workbookViewId="0">'
                 '<pane ySplit="2" topLeftCell="A3" activePane="bottomLeft" state="frozen"/>'
                 '<selection pane="bottomLeft" activeCell="A3" sqref="A3"/>'
                 '</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/><cols>']
        parts += [f'<col min="{n}" max="{n}" width="{width}" customWidth="1"/>'
                  for n, width in enumerate(widths, start=1)]
        parts.append("</cols><sheetData>")
        parts.append(_row(1, [heading], TITLE))
        parts.append(_row(2, columns, COLUMN_NAME))
        rows = list(rows)
        parts.extend(_rows(rows, 3))
        if total is not None:
            parts.append(_row(len(rows) + 3, total, BOLD))
        parts.append("</sheetData></worksheet>")
        self.sheets.append((name[:31], "".join(parts)))

    def to_bytes(self) -> bytes:
        out = io.BytesIO()
        # The fastest deflate: a province's bulletin packs in a third of the time, and
        # the file is still a tenth of its text.
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as package:
            package.writestr("[Content_Types].xml", self._content_types())
            package.writestr("_rels/.rels", HEAD + (
                f'<Relationships xmlns="{PACKAGE_RELATIONSHIPS}"><Relationship Id="rId1" '
                f'Type="{RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/>'
                "</Relationships>"))
            sheets = "".join(f'<sheet name={quoteattr(name)} sheetId="{n}" r:id="rId{n}"/>'
                             for n, (name, _) in enumerate(self.sheets, start=1))
            package.writestr("xl/workbook.xml", HEAD + (
                f'<workbook xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}"><sheets>{sheets}</sheets>'
                "</workbook>"))
            links = "".join(f'<Relationship Id="rId{n}" Type="{RELATIONSHIPS}/worksheet" '
                            f'Target="worksheets/sheet{n}.xml"/>'
                            for n in range(1, len(self.sheets) + 1))
            styles = len(self.sheets) + 1
            package.writestr("xl/_rels/workbook.xml.rels", HEAD + (
                f'<Relationships xmlns="{PACKAGE_RELATIONSHIPS}">{links}'
                f'<Relationship Id="rId{styles}" Type="{RELATIONSHIPS}/styles" '
                'Target="styles.xml"/></Relationships>'))
            package.writestr("xl/styles.xml", STYLES)
            for n, (_, xml) in enumerate(self.sheets, start=1):
                package.writestr(f"xl/worksheets/sheet{n}.xml", xml)
        return out.getvalue()

    def _content_types(self) -> str:
        sheet_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
        sheets = "".join(f'<Override PartName="/xl/worksheets/sheet{n}.xml" '
                         f'ContentType="{sheet_type}"/>'
                         for n in range(1, len(self.sheets) + 1))
        return HEAD + (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            f"{sheets}</Types>")
