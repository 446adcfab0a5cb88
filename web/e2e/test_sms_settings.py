"""短信通知 on /me in Debian's Chromium, on a phone: a member whose mobile is on record
turns SMS on, and a returned report then reaches that phone (through the fake Alibaba
Cloud SMS the test system runs). No console errors."""
import uuid

from journey import SETTLE_S, VIEWPORTS, Journey
from playwright.sync_api import expect

from tests.people import REPORT, make_people
from tests.system import eventually
from test_office_workbench import login


def test_a_member_turns_sms_on_and_is_texted(system, browser, tmp_path):
    _, people = make_people(system, member=["member"], chief=["editor"])
    member, chief = people["member"], people["chief"]
    phone = f"137{uuid.uuid4().int % 10**8:08d}"
    assert system.admin().patch(f"/users/{member.id}", {"phone": phone}).status_code == 200

    # The number reaches notify with the directory's event (until then SMS is refused
    # with a reason): wait for it, then leave SMS off for the page to turn on.
    assert eventually(lambda: member.api.put("/notifications/preferences", {"sms": True}).ok,
                      timeout=SETTLE_S)
    assert member.api.put("/notifications/preferences", {"sms": False}).ok

    context = browser.new_context(viewport=VIEWPORTS["phone"], locale="zh-CN")
    me = Journey(context.new_page(), system.base, tmp_path, "phone")
    login(me, member.api.get("/me").json()["username"], landing="年报送进度")
    me.nav("个人设置")
    page = me.page
    switch = page.get_by_role("switch", name="短信通知")
    expect(switch).not_to_be_checked()
    page.locator(".setting", has_text="短信通知").locator(".el-switch").click()
    expect(page.get_by_text("已开启短信通知")).to_be_visible()
    expect(switch).to_be_checked()
    me.shot("sms-on")

    report = member.api.post("/reports", dict(REPORT, title="关于规范老旧小区停车的建议")).json()
    assert eventually(lambda: chief.api.post(f"/review/{report['id']}/return", {
        "comment": "请补充数据"}).status_code == 200, timeout=SETTLE_S)
    assert eventually(lambda: [m for m in system.sms.received() if m.get("phone") == phone],
                      timeout=SETTLE_S)
    assert me.errors == [], me.errors
    context.close()
