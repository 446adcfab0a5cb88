"""The web app as a member uses it (docs/web.md), in Debian's Chromium, on a desktop and on
a phone, against the whole system started like `make run`.

A member logs in, writes a report with a co-author, is stopped by a field error, saves a
draft, submits; an editor returns it (through the API); the member reads the comment,
edits, resubmits; after adoption and a leader's instruction the member sees 已采用, the
outcome, the timeline, the notice and the points. No console errors on the way, no
sideways scrolling on the phone. Screenshots of each page go to the test's temp dir (and
to $MINYI_SCREENSHOTS when set).
"""
import re
import time
import uuid

import pytest
from playwright.sync_api import expect

from journey import SETTLE_S, VIEWPORTS, Journey
from tests.people import make_people
from tests.system import eventually

TEXT = {
    "situation": "我县城区部分老旧小区建于上世纪九十年代，没有电梯，楼内老年住户占比超过三成，"
                 "上下楼困难，就医和日常出行很不方便。",
    "analysis": "一是加装电梯需要全体业主同意，低层住户顾虑采光和噪音；二是资金分摊办法不明确；"
                "三是审批涉及住建、规划、市场监管等多个部门，流程较长。",
    "suggestions": "一是出台加装电梯资金分摊指导意见；二是设立一站式联合审批窗口；"
                   "三是对困难家庭给予适当补贴，由社区牵头做好协商。",
}


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_a_member_does_the_whole_job_in_the_browser(system, browser, viewport, tmp_path):
    unit_id, people = make_people(system, zhang=["member"], li=["officer"], zhao=["editor"])
    unit_name = next(u["name"] for u in system.admin().get("/units?page_size=200").json()["items"]
                     if u["id"] == unit_id)
    member, coauthor, editor = people["zhang"], people["li"], people["zhao"]
    username = member.api.get("/me").json()["username"]
    context = browser.new_context(viewport=VIEWPORTS[viewport], locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    me = Journey(context.new_page(), system.base, tmp_path, viewport)
    page = me.page
    title = f"关于老旧小区加装电梯的建议{uuid.uuid4().hex[:4]}"

    # Logging in: a deep link leads through the login page and back.
    page.goto(f"{system.base}/reports")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    expect(page.get_by_role("button", name="登录")).to_be_visible()
    me.shot("01-login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_contain_text("用户名或密码不正确")
    page.get_by_label("密码").fill("password-123")
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(f"{system.base}/reports")
    cookies = {c["name"]: c for c in context.cookies()}
    assert cookies["minyi_session"]["httpOnly"] and cookies["minyi_session"]["sameSite"] == "Strict"
    assert page.evaluate("Object.keys(localStorage).filter(k => /token/i.test(k))") == []

    # The desk: this year's quota and what needs me.
    me.nav("工作台")
    expect(page.get_by_text("年报送进度")).to_be_visible()
    expect(page.get_by_text("任务 4 篇")).to_be_visible()
    me.shot("02-desk")

    # Writing: the rules are shown, a short title is stopped at its field.
    me.nav("撰写信息")
    expect(page.get_by_text("填写要求")).to_be_visible()
    page.get_by_label("标题").fill("电梯")
    page.get_by_role("button", name="提交", exact=True).click()
    title_item = page.locator(".el-form-item", has=page.get_by_label("标题"))
    expect(title_item).to_contain_text("标题应为5至60个字，现为2个字")
    me.shot("03-field-error")

    page.get_by_label("标题").fill(title)
    me.pick("类别", "城乡建设")
    coauthors = page.get_by_role("combobox", name="联名作者", exact=True)
    page.locator(".el-select__wrapper", has=coauthors).click()
    coauthors.press_sequentially("li", delay=50)
    # The option shows the person's units: the right 李 among namesakes.
    page.locator(".el-select-dropdown__item:visible", has_text=unit_name).first.click()
    page.keyboard.press("Escape")
    page.get_by_label("情况").fill(TEXT["situation"])
    count = len(TEXT["situation"])
    expect(page.get_by_text(f"正文合计 {count} 字，还需至少 {100 - count} 字")).to_be_visible()
    page.get_by_label("分析").fill(TEXT["analysis"])
    page.get_by_label("建议").fill(TEXT["suggestions"])
    expect(page.get_by_text(f"正文合计 {sum(map(len, TEXT.values()))} 字", exact=True)).to_be_visible()

    # Nothing is lost: a reload before saving brings the text back from this browser,
    # which keeps it a moment (0.6 s) after each change: once the last field is kept,
    # however long the moment took beside the other tests.
    page.wait_for_function("text => Object.values(localStorage).some(v => v.includes(text))",
                           arg=TEXT["suggestions"])
    page.reload()
    expect(page.get_by_text("已恢复您在")).to_be_visible()
    expect(page.get_by_label("标题")).to_have_value(title)
    expect(page.get_by_label("建议")).to_have_value(TEXT["suggestions"])

    page.get_by_role("button", name="保存草稿").click()
    # Saved: the address is the draft's (the 草稿已保存 toast lasts 3 s, which a loaded
    # machine's renderer once let pass unseen).
    expect(page).to_have_url(re.compile(r"/reports/[0-9a-f-]{36}/edit$"))
    expect(page.get_by_text("已恢复您在")).to_be_hidden()  # the restored text is saved now
    report_id = page.url.split("/")[-2]
    draft = member.api.get(f"/reports/{report_id}").json()
    assert draft["status"] == "draft" and draft["co_author_ids"] == [coauthor.id]
    assert draft["category"] == "urban" and draft["suggestions"] == TEXT["suggestions"]
    me.shot("04-draft")

    page.get_by_role("button", name="提交", exact=True).click()
    expect(page).to_have_url(f"{system.base}/reports/{report_id}")
    expect(page.locator(".el-tag", has_text="已提交").first).to_be_visible()
    me.shot("05-submitted")
    mine = member.api.get("/reports?mine=true&page_size=100").json()["items"]
    assert [r["id"] for r in mine if r["title"] == title] == [report_id]  # one report

    # The editor returns it with a comment.
    comment = "请补充本县老旧小区的数量和已加装电梯的比例。"
    assert eventually(lambda: editor.api.post(f"/review/{report_id}/return", {
        "comment": comment}).status_code == 200, timeout=SETTLE_S)

    # The member sees 退回修改 and the comment on the desk, edits and resubmits.
    me.nav("工作台")
    me.reload_until(comment)
    me.shot("06-desk-returned")
    page.get_by_role("link", name="修改后重新提交").first.click()
    expect(page.get_by_text("编辑意见").first).to_be_visible()
    expect(page.get_by_text(comment).first).to_be_visible()
    addition = "据统计，全县2000年以前建成的老旧小区共126个，已加装电梯的不足5%。"
    page.get_by_label("情况").fill(TEXT["situation"] + addition)
    me.shot("07-edit-returned")
    page.get_by_role("button", name="重新提交").click()
    expect(page).to_have_url(f"{system.base}/reports/{report_id}")
    expect(page.locator(".el-tag", has_text="已重新提交").first).to_be_visible()

    # The office adopts it and records the county head's instruction.
    assert eventually(lambda: editor.api.post(f"/review/{report_id}/adopt", {
        "title": title + "（编辑稿）"}).status_code == 200, timeout=SETTLE_S)
    today = time.strftime("%Y-%m-%d")
    outcome = editor.api.post(f"/review/{report_id}/outcomes", {
        "kind": "instructed", "level": "county", "date": today, "leader": "县长",
        "text": "请住建局牵头研究，拿出具体办法。"})
    assert outcome.status_code == 200, outcome.text

    me.reload_until("领导批示")
    expect(page.locator(".el-tag", has_text="已采用").first).to_be_visible()
    expect(page.get_by_text("批示领导：县长")).to_be_visible()
    expect(page.get_by_text("批示内容：请住建局牵头研究，拿出具体办法。")).to_be_visible()
    expect(page.get_by_text("编辑修改稿")).to_be_visible()
    timeline = page.locator(".el-timeline")
    for step in ("提交", "退回修改", "重新提交", "采用", "领导批示"):
        expect(timeline.get_by_text(step, exact=True).first).to_be_visible()
    expect(timeline).to_contain_text(comment)
    expect(page.get_by_text(addition)).to_be_visible()
    me.shot("08-adopted")

    # The notice, and from it back to the report.
    me.nav("通知")
    me.reload_until(f"《{title}》已被录用")
    me.shot("09-inbox")
    notice = page.locator(".item-list > li", has_text=f"《{title}》已被录用").first
    notice.get_by_role("button", name="查看信息").click()
    expect(page).to_have_url(f"{system.base}/reports/{report_id}")

    # The points: 1 (accepted) + 5 (adopted) + 5 (county instruction).
    me.nav("积分")
    me.reload_until("积分：11分")
    expect(page.locator("canvas").first).to_be_visible()
    expect(page.get_by_text("领导批示").first).to_be_visible()
    me.shot("10-scores")

    me.nav("个人设置")
    expect(page.get_by_text(username)).to_be_visible()
    me.shot("11-me")

    assert me.errors == [], me.errors
    context.close()


def test_big_text_mode_is_remembered_per_person(system, browser):
    _, people = make_people(system, wu=["member"], qian=["member"])
    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    page = context.new_page()

    def login(person):
        page.goto(f"{system.base}/login")
        page.get_by_label("用户名").fill(person.api.get("/me").json()["username"])
        page.get_by_label("密码").fill("password-123")
        page.get_by_role("button", name="登录").click()
        expect(page.get_by_text("年报送进度")).to_be_visible()

    def body_size():
        return float(page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)"))

    login(people["wu"])
    assert body_size() >= 16
    page.get_by_role("banner").get_by_text("大字模式").click()
    assert body_size() >= 18
    page.reload()
    expect(page.get_by_text("年报送进度")).to_be_visible()
    assert body_size() >= 18
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("button", name="登录")).to_be_visible()
    login(people["qian"])
    assert body_size() < 18  # another person on the same browser keeps their own choice
    context.close()
