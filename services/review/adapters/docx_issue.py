"""The office's documents as Word files in the national layout (GB/T 9704-2012):

- an issue of 《社情民意》: red masthead, 第N期（总第M期）, the office, 签发 and date over
  the red rule, each piece with its title, 情况 / 分析 / 建议 and credit line, then the
  版记 (报 / 送, 编辑, 共印N份, 内部资料 注意保存);
- a 专报: one adopted piece as a report to leaders, in the same frame.
"""
from minyi_common.gbt9704 import OfficialDocument

SECTIONS = (("situation", "一、基本情况"), ("analysis", "二、原因分析"),
            ("suggestions", "三、意见建议"))
SECRECY = "内部资料　注意保存"


def chinese_date(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _pieces(document: OfficialDocument, pieces) -> None:
    for index, piece in enumerate(pieces):
        if index:
            document.page_break()  # each piece starts on a page of its own
        document.title(piece["title"])
        document.paragraph()
        for field, heading in SECTIONS:
            if (piece.get(field) or "").strip():
                document.heading(heading)
                document.body(piece[field])
        document.signature(f"（{piece['credit']}）")


def _record(issue: dict, office_name: str) -> list:
    blocks = []
    addressed = [f"{word}：{issue[key]}" for word, key in (("报", "report_to"), ("送", "send_to"))
                 if issue.get(key)]
    if addressed:
        blocks.append(addressed)
    imprint = f"{office_name}编印"
    if issue.get("editor_name"):
        imprint = f"编辑：{issue['editor_name']}"
    copies = f"共印{issue['copies']}份" if issue.get("copies") else ""
    blocks.append([f"{imprint}\t{copies}" if copies else imprint])
    blocks.append([SECRECY])
    return blocks


def render_issue(office_name: str, issue: dict, pieces) -> bytes:
    document = OfficialDocument()
    document.corner_mark(SECRECY)
    document.masthead("社情民意")
    number = f"第{issue['number']}期"
    if issue.get("total_number"):
        number += f"（总第{issue['total_number']}期）"
    document.centred_line(number)
    document.dateline(f"{office_name}编",
                      f"签发：{issue['signed_by']}" if issue.get("signed_by") else "",
                      chinese_date(issue["published_on"]))
    _pieces(document, pieces)
    document.record(_record(issue, office_name))
    return document.to_bytes()


def render_special_report(office_name: str, piece: dict, on, signed_by=None,
                          report_to=None) -> bytes:
    document = OfficialDocument()
    document.corner_mark(SECRECY)
    document.masthead("社情民意专报")
    document.dateline(f"{office_name}编", f"签发：{signed_by}" if signed_by else "",
                      chinese_date(on))
    _pieces(document, [piece])
    document.record(_record({"report_to": report_to}, office_name))
    return document.to_bytes()
