"""The spreadsheets people fill in and send back (the roster, past reports): a template
with its headers marked and a sheet of instructions, and reading the first sheet."""
import io
import zipfile

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

REQUIRED_FILL = PatternFill("solid", fgColor="FDE9D9")


class Template:
    """A workbook whose first sheet names the columns (required ones shaded) and whose
    second says how to fill them."""

    def __init__(self, title: str, columns, required, widths, max_rows: int):
        self.book, self.max_rows = Workbook(), max_rows
        self.sheet = self.book.active
        self.sheet.title = title
        self.sheet.append(list(columns))
        for cell, width in zip(self.sheet[1], widths):
            cell.font = Font(bold=True)
            if cell.value in required:
                cell.fill = REQUIRED_FILL
            self.sheet.column_dimensions[cell.column_letter].width = width
        self.sheet.freeze_panes = "A2"

    def choices(self, column: str, values) -> None:
        """A column whose cells offer a list of values."""
        check = DataValidation(type="list", formula1='"' + ",".join(values) + '"',
                               allow_blank=True)
        self.sheet.add_data_validation(check)
        check.add(f"{column}2:{column}{self.max_rows + 1}")

    def notes(self, rows, widths=(10, 90), example=None, wrap=False) -> None:
        notes = self.book.create_sheet("填写说明")
        notes.append(["列", "说明"])
        for row in rows:
            notes.append(list(row))
        if example:
            notes.append([])
            notes.append(["示例", example])
        notes.column_dimensions["A"].width, notes.column_dimensions["B"].width = widths
        if wrap:
            for row in notes.iter_rows(min_row=2):
                row[1].alignment = Alignment(wrap_text=True)

    def bytes(self) -> bytes:
        out = io.BytesIO()
        self.book.save(out)
        return out.getvalue()


def read_table(content: bytes, limit: int) -> list:
    """The first sheet's rows as lists of cell values (a few past ``limit``, enough to
    say the file is too long); ValueError when it is no .xlsx."""
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ValueError(str(exc)) from None
    try:
        rows = []
        for row in book.worksheets[0].iter_rows(values_only=True):
            rows.append(list(row))
            if len(rows) > limit + 50:
                break
        return rows
    finally:
        book.close()
