"""积分申诉 and 积分调整 in Debian's Chromium: a member appeals a line on /scores (on a
desktop and a phone), an editor resolves it on 管理 → 积分申诉, the member sees the
answer beside the line; an admin adjusts points (a missing reason is stopped at its
field) and the member sees the adjustment with its reason. No console errors."""
import time
import uuid

import pytest
from journey import SETTLE_S, VIEWPORTS, Journey
from playwright.sync_api import expect

from tests.people import REPORT, make_people
from tests.system import ADMIN_PASSWORD, eventually
from test_office_workbench import login


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_a_member_appeals_a_line_and_an_admin_adjusts(system, browser, viewport, tmp_path):
    unit_id, people = make_people(system, member=["member"], editor=["editor"])
    member, editor = people["member"], people["editor"]
    title = f"关于规范农村集贸市场管理的建议{uuid.uuid4().hex[:4]}"
    report = member.api.post("/reports", dict(REPORT, title=title, unit_id=unit_id)).json()
    assert eventually(lambda: editor.api.post(f"/review/{report['id']}/adopt", {})
                      .status_code == 200, timeout=SETTLE_S)
    year = time.strftime("%Y")
    assert eventually(lambda: any(l["event"] == "adopted" for l in member.api.get(
        f"/scores/people/{member.id}?period={year}").json()["lines"]), timeout=SETTLE_S)

    context = browser.new_context(viewport=VIEWPORTS[viewport], locale="zh-CN",
                                  accept_downloads=True)
    me = Journey(context.new_page(), system.base, tmp_path, viewport)
    login(me, member.api.get("/me").json()["username"], landing="年报送进度")
    me.nav("积分")
    page = me.page
    adopted = page.locator("li.line", has_text="本级采用").first
    expect(adopted).to_contain_text("按第1版积分规则")
    adopted.get_by_role("button", name="申诉").click()
    dialog = page.get_by_role("dialog", name="积分申诉")
    dialog.get_by_role("button", name="提交申诉").click()
    expect(dialog).to_contain_text("请填写理由")  # nothing said: stopped at the field
    dialog.get_by_label("申诉理由").fill("此篇已被市政协采用，应按上级采用计分")
    me.shot("appeal-dialog")
    dialog.get_by_role("button", name="提交申诉").click()
    expect(adopted).to_contain_text("申诉处理中")
    expect(adopted.get_by_role("button", name="申诉")).to_be_hidden()

    # The editor answers it.
    office = browser.new_context(viewport=VIEWPORTS["desktop"], locale="zh-CN")
    chief = Journey(office.new_page(), system.base, tmp_path, f"{viewport}-editor")
    login(chief, editor.api.get("/me").json()["username"])
    chief.page.goto(f"{system.base}/admin/appeals")
    item = chief.page.locator("li.appeal", has_text="此篇已被市政协采用").first
    expect(item).to_contain_text("待处理")
    item.get_by_role("button", name="处理").click()
    resolve = chief.page.get_by_role("dialog", name="处理申诉")
    resolve.get_by_label("处理意见").fill("经核实属实，已请管理员调整积分")
    chief.shot("appeal-resolve")
    resolve.get_by_role("button", name="确定").click()
    expect(item).to_be_hidden()  # no longer among the open ones
    assert chief.errors == [], chief.errors
    office.close()

    # An admin adjusts the member's points; the reason is asked for first.
    desk = browser.new_context(viewport=VIEWPORTS["desktop"], locale="zh-CN")
    admin = Journey(desk.new_page(), system.base, tmp_path, f"{viewport}-admin")
    login(admin, "admin", ADMIN_PASSWORD)
    admin.page.goto(f"{system.base}/admin/appeals")
    admin.pick("申诉状态", "申诉成立")
    accepted = admin.page.locator("li.appeal", has_text="此篇已被市政协采用").first
    accepted.get_by_role("button", name="据此调整积分").click()
    form = admin.page.locator("#adjust-form")
    form.get_by_label("分值").fill("4")
    form.get_by_label("理由").fill("")
    form.get_by_role("button", name="调整积分").click()
    expect(form).to_contain_text("请填写理由")
    form.get_by_label("理由").fill("申诉更正：市政协采用")
    admin.shot("adjust-form")
    form.get_by_role("button", name="调整积分").click()
    expect(admin.page.get_by_text("积分已调整")).to_be_visible()
    assert admin.errors == [], admin.errors
    desk.close()

    me.reload_until("申诉成立")
    expect(adopted).to_contain_text("处理意见：经核实属实，已请管理员调整积分")
    adjusted = page.locator("li.line", has_text="积分调整").first
    expect(adjusted).to_contain_text("申诉更正：市政协采用")
    expect(adjusted).to_contain_text("4分")
    me.shot("scores-after-appeal")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载履职档案（Word）").click()
    assert download.value.suggested_filename.endswith(".docx")
    assert download.value.path().stat().st_size > 1000
    assert me.errors == [], me.errors
    context.close()
