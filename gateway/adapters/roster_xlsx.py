"""The roster spreadsheet: the template people fill in, and reading a filled-in one."""
from minyi_common import words

from ..directory.roster import COLUMNS, MAX_ROWS, REQUIRED
from . import sheets

WIDTHS = (10, 16, 14, 24, 18, 28, 14, 10, 10, 16)
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
    ("企业微信账号", "选填，本单位企业微信中该成员的账号（UserID），用于接收企业微信消息；"
                "不含此列的文件不改动已登记的账号。"),
)


def template() -> bytes:
    sheet = sheets.Template("名册", COLUMNS, REQUIRED, WIDTHS, MAX_ROWS)
    sheet.choices("H", ("是", "否"))
    sheet.choices("G", words.UNIT_KINDS.values())
    sheet.notes(NOTES, example="张三 | zhangsan | 13800000000 | zhangsan@example.cn | "
                               "委员、信息员 | 民进县委会 | 民主党派 | 是 | 十五届 | ZhangSan")
    return sheet.bytes()


def read_table(content: bytes) -> list:
    """The roster's rows as lists of cell values; ValueError when it is no .xlsx."""
    return sheets.read_table(content, MAX_ROWS)
