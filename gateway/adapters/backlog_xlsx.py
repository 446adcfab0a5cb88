"""The spreadsheet of past reports (往期信息导入): the template an office fills in, and
reading a filled-in one into rows of text."""
import io
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from minyi_common import words

from .roster_xlsx import read_table

COLUMNS = ("标题", "作者用户名", "联名作者用户名", "单位", "类别", "报送日期", "情况", "分析",
           "建议", "处理结果", "采用日期", "成效")
REQUIRED = ("标题", "作者用户名", "类别", "报送日期", "情况", "分析", "建议")
RESULTS = ("已采用", "综合采用", "留存", "不予采用", "待审")
WIDTHS = (36, 14, 18, 18, 12, 12, 40, 40, 40, 10, 12, 40)
MAX_ROWS = 5000
NOTES = (
    ("标题", "必填，5至60字。"),
    ("作者用户名", "必填，作者在系统中的用户名（先导入名册）。"),
    ("联名作者用户名", "选填，多个用顿号分隔。"),
    ("单位", "选填，作者所在单位的名称。"),
    ("类别", "必填：" + "、".join(words.CATEGORIES.values()) + "。"),
    ("报送日期", "必填，如 2026-03-15；按此日期计入季度和积分。"),
    ("情况、分析、建议", "必填，每项不超过1500字，三项合计不少于100字。"),
    ("处理结果", "、".join(RESULTS) + "；不填为待审。"),
    ("采用日期", "已采用、综合采用、留存、不予采用时填写，不填按报送日期。"),
    ("成效", "已采用的信息填写，如：市级上级采用 2026-05-12；县级领导批示 2026-06-01 县长：请水利局研究。"
             "多条用“；”分隔；级别为" + "、".join(words.LEVELS.values()) + "，成效为"
             + "、".join(words.OUTCOMES.values()) + "。"),
)


def template() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "往期信息"
    sheet.append(list(COLUMNS))
    required = PatternFill("solid", fgColor="FDE9D9")
    for cell, width in zip(sheet[1], WIDTHS):
        cell.font = Font(bold=True)
        if cell.value in REQUIRED:
            cell.fill = required
        sheet.column_dimensions[cell.column_letter].width = width
    sheet.freeze_panes = "A2"
    for column, choices in (("E", words.CATEGORIES.values()), ("J", RESULTS)):
        check = DataValidation(type="list", formula1='"' + ",".join(choices) + '"',
                               allow_blank=True)
        sheet.add_data_validation(check)
        check.add(f"{column}2:{column}{MAX_ROWS + 1}")
    notes = book.create_sheet("填写说明")
    notes.append(["列", "说明"])
    for row in NOTES:
        notes.append(list(row))
    notes.column_dimensions["A"].width = 16
    notes.column_dimensions["B"].width = 100
    for row in notes.iter_rows(min_row=2):
        row[1].alignment = Alignment(wrap_text=True)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value == int(value):
        value = int(value)
    return str(value).strip()


def read_rows(content: bytes):
    """(rows as {row number, column: text}, the header problem or None); ValueError when
    it is no .xlsx."""
    table = read_table(content, MAX_ROWS)
    if not table:
        return [], "empty"
    header = [_text(v) for v in table[0]]
    if [h for h in header if h][:len(COLUMNS)] != list(COLUMNS):
        return [], "header"
    rows = []
    for number, values in enumerate(table[1:], start=2):
        row = {column: _text(values[i]) if i < len(values) else ""
               for i, column in enumerate(COLUMNS)}
        if any(row.values()):
            rows.append({"row": number, **row})
    return rows, None
