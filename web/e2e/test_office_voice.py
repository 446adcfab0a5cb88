"""年度选题, 约稿 and 通知公告 in Debian's Chromium: an editor publishes a topic and
commissions a piece from a member (an empty form is stopped at its fields); the member,
on a desktop and on a phone, finds the commission on the desk, writes the piece from it
with the commission and its topic already chosen, and the editor sees it answered. The
editor publishes a notice with a file; the member is told, opens it and downloads the
file. No console errors."""
import uuid
from datetime import date, timedelta

import pytest
from journey import SETTLE_S, VIEWPORTS, Journey
from playwright.sync_api import expect

from tests.people import REPORT, make_people
from test_office_workbench import login

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_an_editor_asks_and_a_member_answers_from_the_desk(system, browser, viewport, tmp_path):
    suffix = uuid.uuid4().hex[:4]
    writer = f"m{suffix}"
    unit_id, people = make_people(system, **{writer: ["member"], "chief": ["editor"]})
    member, editor = people[writer], people["chief"]
    topic_title = f"县域养老服务体系建设{suffix}"
    piece_title = f"农村互助养老调研{suffix}"

    # The editor publishes a topic, then commissions a piece on it.
    office = browser.new_context(viewport=VIEWPORTS["desktop"], locale="zh-CN")
    chief = Journey(office.new_page(), system.base, tmp_path, f"{viewport}-editor")
    page = chief.page
    login(chief, editor.api.get("/me").json()["username"])
    chief.nav("选题")
    page.get_by_role("button", name="发布选题").click()
    expect(page.get_by_text("请填写选题名称")).to_be_visible()
    page.get_by_label("选题名称").fill(topic_title)
    page.get_by_label("说明").fill("居家、社区、机构养老如何衔接。")
    page.get_by_role("button", name="发布选题").click()
    expect(page.locator(".topics").get_by_text(topic_title)).to_be_visible()
    chief.shot("topics")

    page.get_by_role("button", name="约稿管理").click()
    expect(page.get_by_role("heading", name="约稿", exact=True)).to_be_visible()
    page.get_by_role("button", name="发出约稿").click()
    expect(page.get_by_text("请选择约稿对象")).to_be_visible()
    expect(page.get_by_text("请选择报送期限")).to_be_visible()
    person = page.get_by_role("combobox", name="委员或信息员", exact=True)
    page.locator(".el-select__wrapper", has=person).click()
    person.press_sequentially(writer, delay=50)
    page.locator(".el-select-dropdown__item:visible", has_text=writer).first.click()
    page.get_by_label("约稿题目").fill(piece_title)
    due = (date.today() + timedelta(days=14)).isoformat()
    page.get_by_label("报送期限").fill(due)
    page.get_by_label("报送期限").press("Enter")
    chief.pick("约稿选题", topic_title)
    page.get_by_label("约稿说明").fill("请走访两个村的互助幸福院。")
    chief.shot("commission-form")
    page.get_by_role("button", name="发出约稿").click()
    expect(page.get_by_text("约稿已发出")).to_be_visible()
    item = page.locator(".item-list > li", has_text=piece_title)
    expect(item).to_contain_text("待报送")
    assert chief.errors == [], chief.errors

    # The member finds it on the desk and writes the piece from it.
    context = browser.new_context(viewport=VIEWPORTS[viewport], locale="zh-CN",
                                  accept_downloads=True)
    me = Journey(context.new_page(), system.base, tmp_path, viewport)
    mine = me.page
    login(me, member.api.get("/me").json()["username"], landing="年报送进度")
    me.reload_until(piece_title, timeout=SETTLE_S)
    card = mine.locator("[data-test=commissions]")
    expect(card).to_contain_text(f"请于 {due} 前报送")
    expect(card).to_contain_text(f"选题：{topic_title}")
    me.shot("desk-commission")
    card.get_by_role("button", name="撰写约稿").click()
    expect(mine.locator(".el-select__wrapper", has=mine.get_by_role(
        "combobox", name="回应约稿", exact=True))).to_contain_text(piece_title)
    expect(mine.locator(".el-select__wrapper", has=mine.get_by_role(
        "combobox", name="年度选题", exact=True))).to_contain_text(topic_title)
    mine.get_by_label("标题").fill(f"关于发展农村互助养老的建议{suffix}")
    me.pick("类别", "社会保障")
    for part in ("situation", "analysis", "suggestions"):
        mine.get_by_label({"situation": "情况", "analysis": "分析", "suggestions": "建议"}[part]
                          ).fill(REPORT[part])
    me.shot("commission-piece")
    mine.get_by_role("button", name="提交", exact=True).click()
    expect(mine.locator(".el-tag", has_text="已提交").first).to_be_visible()
    expect(mine.get_by_text(f"选题：{topic_title}")).to_be_visible()

    # The editor sees it answered.
    page.reload()
    expect(page.locator(".item-list > li", has_text=piece_title)).to_contain_text("已报送")
    chief.shot("commission-answered")

    # A notice with a file, told to the member, who opens it and the file.
    chief.nav("公告")
    notice_title = f"关于印发信息工作实施办法的通知{suffix}"
    page.get_by_label("标题").fill(notice_title)
    page.get_by_label("正文").fill("各位委员、信息员：\n现将《社情民意信息工作实施办法》印发给你们，请遵照执行。")
    page.locator("#n-files").set_input_files(files=[
        {"name": "实施办法.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    expect(page.get_by_text("实施办法.pdf")).to_be_visible()
    page.get_by_role("button", name="发布通知").click()
    expect(page.get_by_role("heading", name=notice_title)).to_be_visible()
    expect(page.get_by_role("link", name="实施办法.pdf")).to_be_visible()
    chief.shot("notice")
    assert chief.errors == [], chief.errors
    office.close()

    me.nav("通知")
    me.reload_until(f"通知公告：{notice_title}")
    notice = mine.locator(".item-list > li", has_text=notice_title).first
    notice.get_by_role("button", name="查看").click()
    expect(mine.get_by_role("heading", name=notice_title)).to_be_visible()
    with mine.expect_download() as download:
        mine.get_by_role("link", name="实施办法.pdf").click()
    assert download.value.path().read_bytes() == PDF
    me.shot("notice-read")
    me.nav("公告")
    expect(mine.get_by_role("link", name=notice_title)).to_be_visible()
    assert me.errors == [], me.errors
    context.close()
