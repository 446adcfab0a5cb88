"""The spreadsheet of past reports (往期信息导入): the template an office fills in, and
reading a filled-in one into rows of text."""
from datetime import date, datetime

from minyi_common import words

from . import sheets

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
    sheet = sheets.Template("往期信息", COLUMNS, REQUIRED, WIDTHS, MAX_ROWS)
    sheet.choices("E", words.CATEGORIES.values())
    sheet.choices("J", RESULTS)
    sheet.notes(NOTES, widths=(16, 100), wrap=True)
    return sheet.bytes()


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
    table = sheets.read_table(content, MAX_ROWS)
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
