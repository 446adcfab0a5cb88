"""The award list (表彰) of a range of years as files: a decision in the national layout
(GB/T 9704-2012) naming the 先进单位 by tier, the 优秀信息员 and the 优秀社情民意信息, and a
workbook with a sheet for each. An author who did not consent to publication is never
named: the report is credited as the award list says (本刊编辑部)."""
from minyi_common.gbt9704 import OfficialDocument
from minyi_common.words import date_words, points_words

from .bulletin_files import add_sheet
from .workbook import Workbook

TIERS = ("一等奖", "二等奖", "三等奖")


def _byline(report: dict) -> str:
    return report.get("author_name") or report.get("credit") or ""


def title(awards: dict) -> str:
    return (f"关于表彰{awards['period_words']}社情民意信息工作先进单位、"
            "优秀信息员和优秀社情民意信息的决定")


def sheets(awards: dict) -> list:
    """(sheet name, columns, rows) of each list."""
    return [
        ("先进单位", ("奖项", "排名", "单位名称", "积分", "报送", "采用"),
         [[u["award"], u["rank"], u["name"], points_words(u["points"]), u["submitted"],
           u["adopted"]] for u in awards["advanced_units"]]),
        ("优秀信息员", ("序号", "姓名", "所在单位", "积分", "采用"),
         [[n, o["name"], "、".join(o.get("unit_names") or []), points_words(o["points"]),
           o["adopted"]] for n, o in enumerate(awards["excellent_officers"], start=1)]),
        ("优秀社情民意信息", ("序号", "标题", "作者"),
         [[n, r["title"], _byline(r)]
          for n, r in enumerate(awards["excellent_reports"], start=1)]),
    ]


def to_xlsx(awards: dict) -> bytes:
    book = Workbook()
    for name, columns, rows in sheets(awards):
        add_sheet(book, name, f"{awards['period_words']}{name}名单", columns, rows,
                  (10, 8, 40, 24, 10, 10))
    return book.to_bytes()


def render(office_name: str, awards: dict, on) -> bytes:
    document = OfficialDocument()
    document.title(title(awards))
    document.paragraph()
    document.paragraph("各民主党派、各专委会、各镇办政协工作室，各位委员、信息员：")
    units, officers = awards["advanced_units"], awards["excellent_officers"]
    reports = awards["excellent_reports"]
    document.body(
        f"{awards['period_words']}，各单位和广大委员、信息员围绕中心、服务大局，积极反映社情民意，"
        "为党委政府科学决策提供了有益参考。为表彰先进，经研究，决定对"
        f"{len(units)}个先进单位、{len(officers)}名优秀信息员和{len(reports)}篇优秀社情民意信息"
        "予以通报表彰。希望受表彰的单位和个人珍惜荣誉，再接再厉。")
    document.heading("一、社情民意信息工作先进单位")
    if not units:
        document.body("本期无。")
    for tier in TIERS:
        named = [u["name"] for u in units if u["award"] == tier]
        if named:
            document.heading(f"{tier}（{len(named)}个）", level=2)
            document.body("、".join(named))
    document.heading("二、优秀信息员")
    document.body("、".join(
        f"{o['name']}（{'、'.join(o.get('unit_names') or [])}）" if o.get("unit_names")
        else o["name"] for o in officers) or "本期无。")
    document.heading("三、优秀社情民意信息")
    if reports:
        document.table(("序号", "标题", "作者"),
                       [[n, r["title"], _byline(r)] for n, r in enumerate(reports, start=1)],
                       (14, 110, 36))
    else:
        document.body("本期无。")
    document.paragraph()
    document.signature(office_name)
    document.signature(date_words(on))
    return document.to_bytes()
