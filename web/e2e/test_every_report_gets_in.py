"""Every report the office receives gets in (docs/reports.md), in Debian's Chromium, on
a desktop and on a phone: the office enters a paper report handed in as a Word file for a
member (代录, 从Word导入); the member then finds it as theirs, with who entered it; the
co-author it names, who was never asked, leaves it (退出联名); an admin imports past
reports from a spreadsheet with a wrong row, then fixed. No console errors."""
import re
import uuid

import pytest
from playwright.sync_api import expect

from gateway.tests.test_docx_import import ANALYSIS, SITUATION, SUGGESTIONS, docx
from journey import SETTLE_S, VIEWPORTS, Journey
from test_office_workbench import login
from PIL import Image

from tests.people import make_people
from tests.test_every_report_gets_in import backlog_file, photo_with_gps
from tests.system import ADMIN_PASSWORD, eventually


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_office_enters_a_word_report_for_a_member_who_sees_it_as_theirs(
        system, browser, viewport, tmp_path):
    unit_id, people = make_people(system, laozhang=["member"], xiaozhou=["officer"],
                                  bianji=["editor"])
    # Each run makes people of the same names: the unit tells this run's apart.
    unit_name = next(u["name"] for u in system.admin().get("/units?page_size=200").json()["items"]
                     if u["id"] == unit_id)
    member, co_author, editor = people["laozhang"], people["xiaozhou"], people["bianji"]
    suffix = uuid.uuid4().hex[:4]
    title = f"关于加强农村饮水安全保障{suffix}的建议"
    word = tmp_path / "饮水安全.docx"
    word.write_bytes(docx(title, "民进县委会 老张", "一、基本情况", SITUATION, "二、存在问题",
                          ANALYSIS, "三、对策建议", SUGGESTIONS))

    def journey(person):
        context = browser.new_context(viewport=VIEWPORTS[viewport], locale="zh-CN",
                                      timezone_id="Asia/Shanghai")
        walk = Journey(context.new_page(), system.base, tmp_path, viewport)
        login(walk, person.api.get("/me").json()["username"])
        return walk

    # The editor: 代录信息, the author by name, the text from the Word file.
    office = journey(editor)
    page = office.page
    office.nav("代录")
    expect(page.get_by_role("heading", name="代录社情民意信息")).to_be_visible()
    author_box = page.get_by_role("combobox", name="作者", exact=True)
    page.locator(".el-select__wrapper", has=author_box).click()
    author_box.press_sequentially("laozhang", delay=50)
    page.locator(".el-select-dropdown__item:visible", has_text=unit_name).first.click()
    page.locator("[data-test=word-file]").set_input_files(str(word))
    expect(page.get_by_text("已从 Word 导入")).to_be_visible()
    expect(page.get_by_label("标题")).to_have_value(title)
    expect(page.get_by_label("情况")).to_have_value(SITUATION)
    expect(page.get_by_label("建议")).to_have_value(SUGGESTIONS)
    # What it could not place is named, not lost: the author's line.
    expect(page.locator("[data-test=import-warnings]")).to_contain_text("民进县委会 老张")
    office.pick("类别", "乡村振兴")
    photo = tmp_path / "现场照片.jpg"
    photo.write_bytes(photo_with_gps())
    page.locator("[data-test=attach-files]").set_input_files(str(photo))
    expect(page.get_by_text("现场照片.jpg")).to_be_visible()
    co_authors = page.get_by_role("combobox", name="联名作者", exact=True)
    page.locator(".el-select__wrapper", has=co_authors).click()
    co_authors.press_sequentially("xiaozhou", delay=50)
    page.locator(".el-select-dropdown__item:visible", has_text=unit_name).first.click()
    page.keyboard.press("Escape")
    office.shot("01-enter-from-word")
    page.get_by_role("button", name="提交", exact=True).click()
    expect(page).to_have_url(re.compile(r"/reports/[0-9a-f-]{36}$"))
    report_id = page.url.rsplit("/", 1)[-1]
    expect(page.locator("[data-test=entered-by]")).to_contain_text("由 bianji 代录")
    expect(page.get_by_text("作者：laozhang")).to_be_visible()
    expect(page.locator("[data-test=attachments]")).to_contain_text("现场照片.jpg")
    office.shot("02-entered")
    assert office.errors == []

    # The member: in their list as theirs, with who typed it in; told of it.
    own = journey(member)
    page = own.page
    own.nav("信息列表")
    page.get_by_role("link", name=title).first.click()
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    expect(page.locator("[data-test=entered-by]")).to_contain_text("由 bianji 代录")
    expect(page.get_by_text("由 bianji 代录").last).to_be_visible()  # in the timeline
    with page.expect_download() as download:
        page.locator("[data-test=attachments]").get_by_role("link", name="现场照片.jpg").click()
    kept = Image.open(download.value.path())
    assert kept.size == (20, 40) and not kept.getexif()  # upright, and no GPS left
    own.shot("03-member-sees-it")
    assert eventually(lambda: any(n["kind"] == "entered" for n in member.api.get(
        "/notifications").json()["items"]), timeout=SETTLE_S)
    assert own.errors == []

    # The co-author, named without being asked, leaves.
    named = journey(co_author)
    page = named.page
    page.goto(f"{system.base}/reports/{report_id}")
    expect(page.get_by_text("您被列为这篇信息的联名作者")).to_be_visible()
    named.shot("04-co-author")
    page.get_by_role("button", name="退出联名").click()
    page.get_by_role("dialog").get_by_role("button", name="确定退出").click()
    expect(page.get_by_text("已退出联名")).to_be_visible()
    expect(page).to_have_url(f"{system.base}/reports")
    assert member.api.get(f"/reports/{report_id}").json()["co_author_ids"] == []
    assert named.errors == []


def test_an_admin_imports_past_reports_with_an_error_row_then_fixed(system, browser, tmp_path):
    _, people = make_people(system, laoli=["member"])
    username = people["laoli"].api.get("/me").json()["username"]
    tag = uuid.uuid4().hex[:4]
    row = [f"关于往期农村饮水{tag}的建议", username, "", "", "乡村振兴", "2025-03-10", SITUATION,
           ANALYSIS, SUGGESTIONS, "已采用", "2025-03-20", "市级上级采用 2025-04-02"]
    wrong = [f"关于往期停车{tag}的建议", username, "", "", "停车", "2025-05-06", SITUATION,
             ANALYSIS, SUGGESTIONS, "留存", "", ""]
    bad, fixed = tmp_path / "往期信息.xlsx", tmp_path / "往期信息-改正.xlsx"
    bad.write_bytes(backlog_file([row, wrong]))
    fixed.write_bytes(backlog_file([row, [*wrong[:4], "城乡建设", *wrong[5:]]]))
    context = browser.new_context(viewport=VIEWPORTS["desktop"], locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    office = Journey(context.new_page(), system.base, tmp_path, "desktop")
    page = office.page
    login(office, "admin", ADMIN_PASSWORD)
    office.nav("管理")
    page.get_by_role("navigation", name="管理").get_by_role("link", name="往期信息").click()
    page.get_by_label("往期信息文件").set_input_files(str(bad))
    page.get_by_role("button", name="检查文件").click()
    errors = page.get_by_role("table", name="往期信息错误")
    expect(errors).to_contain_text("第3行")
    expect(errors).to_contain_text("类别")
    expect(page.get_by_role("button", name="导入", exact=True)).to_have_count(0)
    office.shot("05-backlog-error")
    page.get_by_label("往期信息文件").set_input_files(str(fixed))
    page.get_by_role("button", name="检查文件").click()
    expect(page.get_by_text("将导入 2 篇")).to_be_visible()
    page.get_by_role("button", name="导入", exact=True).click()
    page.get_by_role("dialog").get_by_role("button", name="导入").click()
    expect(page.get_by_role("heading", name="导入完成")).to_be_visible()
    expect(page.get_by_text("导入 2 篇，0 篇已导入过")).to_be_visible()
    office.shot("06-backlog-imported")
    titles = [r["title"] for r in people["laoli"].api.get("/reports?mine=true").json()["items"]]
    assert row[0] in titles and wrong[0] in titles
    assert office.errors == []
