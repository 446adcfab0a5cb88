"""履职档案 as files: one person's record as a document in the national layout and as a
workbook, and every member's and officer's figures in one sheet."""
from minyi_common.gbt9704 import OfficialDocument
from minyi_common.words import ROLES, date_words, points_words

from .bulletin_files import add_sheet
from .workbook import Workbook

CREDITS = {"author": "作者", "co_author": "联名"}


def _year_rows(record: dict) -> list:
    return [[f"{y['year']}年", y["quota"], y["submitted"], "完成" if y["met"] else "未完成"]
            for y in record["years"]]


def _report_rows(record: dict) -> list:
    return [[n, r["title"], date_words(r["submitted_on"]), CREDITS[r["credit"]],
             r["status_words"], "；".join(r["outcomes"])]
            for n, r in enumerate(record["reports"], start=1)]


def person_xlsx(record: dict) -> bytes:
    book = Workbook()
    title = f"{record['name']}履职档案（{record['period_words']}）"
    add_sheet(book, "年度情况", title, ("年度", "报送任务", "已报送", "完成情况"),
           _year_rows(record), (10, 10, 10, 10))
    add_sheet(book, "信息明细", title, ("序号", "标题", "报送日期", "署名", "办理结果", "上级采用与批示"),
           _report_rows(record), (6, 40, 16, 8, 12, 50))
    return book.to_bytes()


def person_docx(office_name: str, record: dict, on) -> bytes:
    document = OfficialDocument()
    document.title(f"{record['name']}社情民意信息履职档案")
    document.centred_line(f"（{record['period_words']}）")
    totals = record["totals"]
    units = "、".join(record["unit_names"]) or "—"
    document.body(
        f"姓名：{record['name']}；所在单位：{units}。{record['period_words']}共报送社情民意信息"
        f"{totals['submitted']}篇，被采用{totals['adopted']}篇，被上级采用{totals['upstream_adopted']}篇，"
        f"获领导批示{totals['instructions']}次，累计积分{points_words(totals['points'])}分。")
    document.heading("一、年度报送任务完成情况")
    document.table(("年度", "报送任务", "已报送", "完成情况"), _year_rows(record), (30, 40, 40, 40))
    document.heading("二、报送信息明细")
    if record["reports"]:
        document.table(("序号", "标题", "报送日期", "署名", "办理结果", "上级采用与批示"),
                       _report_rows(record), (12, 52, 26, 14, 20, 36), size=10.5)
    else:
        document.body("本期未报送信息。")
    document.paragraph()
    document.signature(office_name)
    document.signature(date_words(on))
    return document.to_bytes()


def everyone_xlsx(data: dict) -> bytes:
    years = [y["year"] for y in (data["items"][0]["years"] if data["items"] else [])]
    columns = (("姓名", "身份", "所在单位") + tuple(f"{y}年报送/任务" for y in years)
               + ("任务全部完成", "采用", "上级采用", "领导批示", "积分"))
    rows = []
    for row in data["items"]:
        rows.append([row["name"], "、".join(ROLES.get(r, r) for r in row["roles"]),
                     "、".join(row["unit_names"])]
                    + [f"{y['submitted']}/{y['quota']}" for y in row["years"]]
                    + ["是" if all(y["met"] for y in row["years"]) else "否", row["adopted"],
                       row["upstream_adopted"], row["instructions"],
                       points_words(row["points"])])
    book = Workbook()
    add_sheet(book, "履职情况", f"委员和信息员社情民意信息履职情况（{data['period_words']}）", columns,
           rows, (12, 12, 24) + (14,) * len(years) + (12, 8, 10, 10, 8))
    return book.to_bytes()
