"""A bulletin (通报) as the files an office sends out: CSV that Excel and WPS open with
Chinese intact (UTF-8 with a byte-order mark), and XLSX with one sheet per table."""
import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

COLUMNS = (("rank", "排名"), ("name", "名称"), ("submitted", "报送篇数"), ("adopted", "采用篇数"),
           ("upstream_adopted", "上级采用"), ("instructions", "领导批示"), ("points", "积分"))
TABLES = (("units", "单位"), ("people", "个人"))


def _cells(row) -> list:
    return [row[key] for key, _ in COLUMNS]


def _total(rows) -> list:
    sums = {key: sum(r[key] for r in rows) for key, _ in COLUMNS[2:]}
    return ["合计", f"{len(rows)}个"] + [sums[key] for key, _ in COLUMNS[2:]]


def to_csv(bulletin: dict) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([f"{bulletin['title']}"])
    for key, label in TABLES:
        writer.writerow([])
        writer.writerow([label])
        writer.writerow([header for _, header in COLUMNS])
        for row in bulletin[key]:
            writer.writerow(_cells(row))
        writer.writerow(_total(bulletin[key]))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(bulletin: dict) -> bytes:
    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    for key, label in TABLES:
        sheet = book.create_sheet(label)
        sheet.append([bulletin["title"]])
        sheet["A1"].font = Font(bold=True, size=14)
        sheet.append([header for _, header in COLUMNS])
        for cell in sheet[2]:
            cell.font = bold
            cell.alignment = Alignment(horizontal="center")
        for row in bulletin[key]:
            sheet.append(_cells(row))
        sheet.append(_total(bulletin[key]))
        for cell in sheet[sheet.max_row]:
            cell.font = bold
        sheet.freeze_panes = "A3"
        for letter, width in zip("ABCDEFG", (8, 28, 10, 10, 10, 10, 10)):
            sheet.column_dimensions[letter].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
