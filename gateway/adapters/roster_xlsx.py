"""The roster spreadsheet: the template people fill in, and reading a filled-in one."""
import io
import zipfile

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from minyi_common import words

from ..directory.roster import COLUMNS, MAX_ROWS, REQUIRED

WIDTHS = (10, 16, 14, 24, 18, 28, 14, 10, 10)
NOTES = (
    ("姓名", "必填。"),
    ("用户名", "必填，登录用，字母、数字和 _ . @ -；已有的用户名更新该账号，新的创建账号。"),
    ("手机", "选填。"),
    ("邮箱", "选填，用于接收通知邮件。"),
    ("角色", "必填，" + "、".join(words.ROLES.values()) + "；多个用顿号分隔，如：委员、信息员。"),
    ("单位", "选填，多个用顿号分隔；系统中没有的单位将新建。"),
    ("单位类别", "新单位必填：" + "、".join(words.UNIT_KINDS.values()) + "。"),
    ("是否常委", "填“是”或“否”，不填为否。"),
    ("届次", "选填，如：十五届。"),
)


def template() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "名册"
    sheet.append(list(COLUMNS))
    required = PatternFill("solid", fgColor="FDE9D9")
    for cell, width in zip(sheet[1], WIDTHS):
        cell.font = Font(bold=True)
        if cell.value in REQUIRED:
            cell.fill = required
        sheet.column_dimensions[cell.column_letter].width = width
    sheet.freeze_panes = "A2"
    standing = DataValidation(type="list", formula1='"是,否"', allow_blank=True)
    sheet.add_data_validation(standing)
    standing.add(f"H2:H{MAX_ROWS + 1}")
    kinds = DataValidation(type="list", formula1='"' + ",".join(words.UNIT_KINDS.values()) + '"',
                           allow_blank=True)
    sheet.add_data_validation(kinds)
    kinds.add(f"G2:G{MAX_ROWS + 1}")
    notes = book.create_sheet("填写说明")
    notes.append(["列", "说明"])
    for row in NOTES:
        notes.append(list(row))
    notes.append([])
    notes.append(["示例", "张三 | zhangsan | 13800000000 | zhangsan@example.cn | 委员、信息员 | "
                          "民进县委会 | 民主党派 | 是 | 十五届"])
    notes.column_dimensions["A"].width = 10
    notes.column_dimensions["B"].width = 90
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read_table(content: bytes, limit: int = MAX_ROWS) -> list:
    """The first sheet's rows as lists of cell values (a few past ``limit``, enough to
    say the file is too long); ValueError when it is no .xlsx."""
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ValueError(str(exc)) from None
    try:
        sheet = book.worksheets[0]
        rows = []
        for row in sheet.iter_rows(values_only=True):
            rows.append(list(row))
            if len(rows) > limit + 50:
                break
        return rows
    finally:
        book.close()
