"""The quarterly 通报 as a document in the national layout (GB/T 9704-2012): a summary
paragraph with the office's figures against the previous period, a table per unit kind,
officers and members apart, and a chart of points by unit."""
import io
import os

from minyi_common.gbt9704 import OfficialDocument
from minyi_common.words import date_words, points_words

from .bulletin_files import FIGURES, TOPIC_COLUMNS, number, topic_rows

CJK_FONT_FILES = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
                  "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc")
COLUMNS = ("排名", "名称") + tuple(h for _, h in FIGURES)
PERSON_COLUMNS = ("排名", "姓名", "所在单位") + tuple(h for _, h in FIGURES)
SERIALS = "一二三四五六七八九十"
TOP_IN_CHART = 15


def _change(now: int, before: int | None, unit: str) -> str:
    if before is None:
        return ""
    if now == before:
        return "，与上期持平"
    word = "增加" if now > before else "减少"
    return f"，比上期{word}{abs(now - before)}{unit}"


def summary(place: str, bulletin: dict) -> str:
    """全县共报送…: the period's figures, each against the previous period's."""
    now, before = bulletin["summary"], bulletin.get("previous") or {}
    compare = bulletin.get("previous") is not None
    get = (lambda key: before.get(key)) if compare else (lambda key: None)
    return (f"{bulletin['period_words']}，全{place}"
            f"共报送社情民意信息{now['submitted']}篇{_change(now['submitted'], get('submitted'), '篇')}；"
            f"编发采用{now['adopted']}篇{_change(now['adopted'], get('adopted'), '篇')}；"
            f"被上级采用{now['upstream_adopted']}篇{_change(now['upstream_adopted'], get('upstream_adopted'), '篇')}；"
            f"获领导批示{now['instructions']}次{_change(now['instructions'], get('instructions'), '次')}。"
            f"{_handoff_words(bulletin.get('handoffs'))}"
            "现将有关情况通报如下。")


def _handoff_words(figures) -> str:
    """转办 in the period: how many went out, came back, and what the authors thought."""
    if not figures or not (figures["handed_off"] or figures["replied"]):
        return ""
    rated = figures["satisfied"] + figures["basically_satisfied"] + figures["dissatisfied"]
    ratings = (f"，作者评价满意{figures['satisfied']}件、基本满意"
               f"{figures['basically_satisfied']}件、不满意{figures['dissatisfied']}件"
               if rated else "")
    return f"转交有关单位办理{figures['handed_off']}件，办复{figures['replied']}件{ratings}。"


def chart(units: list) -> bytes | None:
    """A bar chart of points by unit (the top ones), as PNG; None when nobody scored."""
    scored = [u for u in units if u["points"] > 0][:TOP_IN_CHART]
    if not scored:
        return None
    import matplotlib
    matplotlib.use("Agg")  # no display on a server
    from matplotlib import font_manager, pyplot

    family = None
    for path in CJK_FONT_FILES:
        if os.path.exists(path):
            font_manager.fontManager.addfont(path)
            family = font_manager.FontProperties(fname=path).get_name()
            break
    figure, axes = pyplot.subplots(figsize=(7.5, 3.6), dpi=150)
    try:
        names = [u["name"] for u in scored]
        bars = axes.bar(range(len(scored)), [u["points"] for u in scored], color="#c0392b")
        axes.set_xticks(range(len(scored)), names, rotation=30, ha="right",
                        fontfamily=family, fontsize=8)
        axes.bar_label(bars, labels=[points_words(u["points"]) for u in scored], fontsize=8)
        axes.set_ylabel("积分", fontfamily=family)
        axes.set_title("各单位积分", fontfamily=family)
        axes.spines[["top", "right"]].set_visible(False)
        figure.tight_layout()
        out = io.BytesIO()
        figure.savefig(out, format="png")
        return out.getvalue()
    finally:
        pyplot.close(figure)


def _rows(rows, person=False) -> list:
    found = []
    for r in rows:
        label = [r["rank"], r["name"]] + (["、".join(r.get("unit_names") or [])] if person else [])
        found.append(label + [points_words(r[k]) if k == "points" else number(r[k])
                              for k, _ in FIGURES])
    return found


def render(office_name: str, place: str, bulletin: dict, on) -> bytes:
    document = OfficialDocument()
    png = chart(bulletin["units"])
    picture = document.picture(png) if png else None  # made before the long tables
    document.title(f"关于{bulletin['period_words']}社情民意信息工作情况的通报")
    document.paragraph()
    document.paragraph("各民主党派、各专委会、各镇办政协工作室，各位委员、信息员：")
    document.body(summary(place, bulletin))
    section = 0
    document.heading(f"{SERIALS[section]}、各单位报送采用情况")
    for number_, group in enumerate(bulletin["unit_groups"]):
        document.heading(f"（{SERIALS[number_]}）{group['kind_name']}", level=2)
        document.table(COLUMNS, _rows(group["rows"]), (14, 50, 18, 18, 18, 18, 20))
    for key, name in (("officers", "信息员"), ("members", "委员")):
        section += 1
        document.heading(f"{SERIALS[section]}、{name}报送采用情况")
        rows = [r for r in bulletin[key] if r["submitted"] or r["points"]]
        if rows:
            document.table(PERSON_COLUMNS, _rows(rows, person=True),
                           (14, 20, 36, 17, 17, 17, 17, 18))
        others = len(bulletin[key]) - len(rows)
        if others:
            document.body(f"其余{others}名{name}本期未报送信息。")
    if topic_rows(bulletin):
        section += 1
        document.heading(f"{SERIALS[section]}、年度选题报送情况")
        document.table(TOPIC_COLUMNS, topic_rows(bulletin), (14, 98, 22, 22))
    if picture is not None:
        section += 1
        document.heading(f"{SERIALS[section]}、各单位积分情况")
        document.move_to_end(picture)
    document.paragraph()
    document.signature(office_name)
    document.signature(date_words(on))
    return document.to_bytes()

