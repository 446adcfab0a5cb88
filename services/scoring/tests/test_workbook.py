"""The office's workbooks, read back as Excel, WPS and openpyxl read them."""
import io

from openpyxl import load_workbook

from services.scoring.adapters.workbook import Workbook


def _read(book: Workbook):
    return load_workbook(io.BytesIO(book.to_bytes()))


def test_a_sheet_has_the_heading_names_rows_and_total_in_the_office_shape():
    book = Workbook()
    book.add_sheet("委员", "社情民意信息工作通报　委员报送采用情况", ("排名", "姓名", "积分"),
                   [[1, "张三", 8.5], [2, "李四", 6]], (8, 28, 10), total=["合计", "2人", 14.5])
    book.add_sheet("年度选题", "年度选题", ("序号", "年度选题"), [], (8, 40))
    read = _read(book)
    assert read.sheetnames == ["委员", "年度选题"]
    sheet = read["委员"]
    assert list(sheet.iter_rows(values_only=True)) == [
        ("社情民意信息工作通报　委员报送采用情况", None, None), ("排名", "姓名", "积分"),
        (1, "张三", 8.5), (2, "李四", 6), ("合计", "2人", 14.5)]
    assert isinstance(sheet["A3"].value, int) and isinstance(sheet["C3"].value, float)
    assert sheet["A1"].font.b and sheet["A1"].font.sz == 14
    assert sheet["B2"].font.b and sheet["B2"].alignment.horizontal == "center"
    assert not sheet["B3"].font.b and sheet["C5"].font.b
    assert sheet.freeze_panes == "A3"
    assert sheet.column_dimensions["B"].width == 28
    assert list(read["年度选题"].iter_rows(values_only=True)) == [
        ("年度选题", None), ("序号", "年度选题")]


def test_text_stays_text_whatever_it_holds():
    formula, tagged = "=HYPERLINK(\"http://x\",\"点我\")", "<b>&amp;\"引号\"</b>"
    book = Workbook()
    book.add_sheet("单位", "标题", ("名称", "说明"),
                   [[formula, tagged], [" 前后有空格 ", "控制\x01字符\x1f"], ["+1-2", None]], (8, 8))
    sheet = _read(book)["单位"]
    assert sheet["A3"].value == formula and sheet["A3"].data_type == "s"
    assert sheet["B3"].value == tagged
    assert sheet["A4"].value == " 前后有空格 "
    assert sheet["B4"].value == "控制字符"  # XML cannot hold the control characters
    assert sheet["A5"].value == "+1-2" and sheet["A5"].data_type == "s"
    assert sheet["B5"].value is None


def test_every_row_is_numbered_in_turn_down_to_the_total():
    book = Workbook()
    rows = [[n, f"委员{n}", "民进县委会", n % 7] for n in range(1, 5_001)]
    book.add_sheet("委员", "委员", ("排名", "姓名", "所在单位", "积分"), rows, (8, 28, 16, 10),
                   total=["合计", "5000人", "", sum(r[3] for r in rows)])
    sheet = _read(book)["委员"]
    assert sheet.max_row == 5_003
    assert [c.value for c in sheet[5_002]] == [5_000, "委员5000", "民进县委会", 5_000 % 7]
    assert sheet["A5003"].value == "合计" and sheet["A5003"].font.b


def test_cells_keep_their_columns_in_rows_of_every_shape():
    """Rows are written from a template per shape; a missing cell must not shift the
    cells after it, and odd values (yes/no, decimals) keep their meaning."""
    rows = [[1, None, "甲", 2.5], [None, "乙", None, 3], [2, "丙", "丁", None], [True, 1.25, False, "戊"],
            [3, " 空格 ", "a&b<c>", 0.1]]
    book = Workbook()
    book.add_sheet("表", "表", ("一", "二", "三", "四"), rows, (8, 8, 8, 8))
    read = list(_read(book)["表"].iter_rows(min_row=3, values_only=True))
    assert read == [(1, None, "甲", 2.5), (None, "乙", None, 3), (2, "丙", "丁", None),
                    ("是", 1.25, "否", "戊"), (3, " 空格 ", "a&b<c>", 0.1)]
