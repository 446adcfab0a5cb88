"""A bulletin (通报) as the spreadsheets an office sends out: CSV that Excel and WPS open
with Chinese intact (UTF-8 with a byte-order mark), and XLSX with a sheet per table. Units
by kind, officers and members apart (docs/office.md); points as 6 or 6.5, never 6.0."""
import csv
import io
import operator

from minyi_common.words import UNIT_KINDS

from .workbook import Workbook

FIGURES = (("submitted", "报送篇数"), ("adopted", "采用篇数"), ("upstream_adopted", "上级采用"),
           ("instructions", "领导批示"), ("points", "积分"))


# A cell that starts like a formula would run as one in Excel or WPS (a unit named
# =HYPERLINK(...)): CSV cells get a leading apostrophe, XLSX cells are always text (see workbook).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value):
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def number(value):
    """6.0 → 6 and 6.5 → 6.5, as a number a spreadsheet can add up."""
    if type(value) is int:  # counts: most of a bulletin's cells
        return value
    if type(value) is float and value.is_integer():
        return int(value)
    value = round(float(value), 2)
    return int(value) if value == int(value) else value


_figures_of = operator.itemgetter(*(key for key, _ in FIGURES))


def figures(row: dict) -> list:
    """A row's figures in FIGURES' order, as numbers (whole ones, most of them, as they are)."""
    return [value if type(value) is int else number(value) for value in _figures_of(row)]


def tables(bulletin: dict) -> list:
    """(sheet name, heading, columns, rows) of every table, in the bulletin's order."""
    found = []
    unit_columns = ("排名", "单位名称", "类别") + tuple(h for _, h in FIGURES)
    found.append(("单位", "各单位报送采用情况", unit_columns,
                  [[r["rank"], r["name"], UNIT_KINDS.get(r["kind"], "其他"), *figures(r)]
                   for r in bulletin["units"]]))
    for group in bulletin["unit_groups"]:
        found.append((group["kind_name"], group["kind_name"], unit_columns,
                      [[r["rank"], r["name"], group["kind_name"], *figures(r)]
                       for r in group["rows"]]))
    person_columns = ("排名", "姓名", "所在单位") + tuple(h for _, h in FIGURES)
    joined = {}  # people share their lists of unit names: each joined once

    def units_of(row):
        names = tuple(row.get("unit_names") or ())
        if names not in joined:
            joined[names] = "、".join(names)
        return joined[names]
    for key, name in (("officers", "信息员"), ("members", "委员")):
        found.append((name, f"{name}报送采用情况", person_columns,
                      [[r["rank"], r["name"], units_of(r), *figures(r)]
                       for r in bulletin[key]]))
    return found


TOPIC_COLUMNS = ("序号", "年度选题", "报送篇数", "采用篇数")


def topic_rows(bulletin: dict) -> list:
    """年度选题: a row per topic the period's reports were written on, with a total."""
    rows = [[n, t["title"], t["submitted"], t["adopted"]]
            for n, t in enumerate(bulletin.get("topics") or [], start=1)]
    if rows:
        rows.append(["合计", f"{len(rows)}个", sum(r[2] for r in rows),
                     sum(r[3] for r in rows)])
    return rows


def total_row(rows, label_width: int) -> list:
    sums = [number(sum(row[label_width + i] for row in rows)) for i in range(len(FIGURES))]
    return ["合计", f"{len(rows)}个" if label_width == 3 else ""] + [""] * (label_width - 2) + sums


def _total(name: str, rows) -> list:
    row = total_row(rows, 3)
    if name in ("信息员", "委员"):
        row[1] = f"{len(rows)}人"
    return row


def to_csv(bulletin: dict) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([bulletin["title"]])
    for name, heading, columns, rows in tables(bulletin):
        writer.writerow([])
        writer.writerow([heading])
        writer.writerow(columns)
        writer.writerows([csv_safe(cell) for cell in row] for row in rows)
        writer.writerow(_total(name, rows))
    if topic_rows(bulletin):
        writer.writerow([])
        writer.writerow(["年度选题报送情况"])
        writer.writerow(TOPIC_COLUMNS)
        writer.writerows([csv_safe(cell) for cell in row] for row in topic_rows(bulletin))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(bulletin: dict) -> bytes:
    book = Workbook()
    for name, heading, columns, rows in tables(bulletin):
        book.add_sheet(name, f"{bulletin['title']}　{heading}", columns, rows,
                       (8, 28, 16, 10, 10, 10, 10, 10), total=_total(name, rows))
    if topic_rows(bulletin):
        add_sheet(book, "年度选题", f"{bulletin['title']}　年度选题报送情况", TOPIC_COLUMNS,
                  topic_rows(bulletin), (8, 40, 12, 12))
    return book.to_bytes()


def add_sheet(book: Workbook, name: str, heading: str, columns, rows, widths) -> None:
    """A sheet whose every cell is also safe pasted elsewhere as CSV."""
    book.add_sheet(name, csv_safe(heading), columns,
                   [[csv_safe(v) for v in row] for row in rows], widths)
