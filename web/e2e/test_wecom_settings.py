"""WeCom (企业微信) in Debian's Chromium, on a desktop: an admin records a member's WeCom
account in the account dialog and, as the member asked, turns WeCom notices on for them
under 通知方式; the member sees it on /me, and a returned report reaches them as a WeCom
card (through the fake of WeCom's server API the test system runs). No console errors."""
import uuid

from journey import SETTLE_S, VIEWPORTS, Journey
from playwright.sync_api import expect

from tests.people import REPORT, make_people
from tests.system import ADMIN_PASSWORD, eventually
from test_office_workbench import login


def test_an_admin_sets_wecom_for_a_member(system, browser, tmp_path):
    # "aa…" sorts before the other test accounts: the member is on the first page.
    _, people = make_people(system, aawecom=["member"], chief=["editor"])
    member, chief = people["aawecom"], people["chief"]
    user_id = f"Wx{uuid.uuid4().hex[:10]}"
    context = browser.new_context(viewport=VIEWPORTS["desktop"], locale="zh-CN")
    admin = Journey(context.new_page(), system.base, tmp_path, "desktop")
    login(admin, "admin", ADMIN_PASSWORD, landing=None)
    page = admin.page
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(f"{system.base}/admin/users")
    row = page.locator("tr", has_text=member.api.get("/me").json()["username"])
    row.get_by_role("button", name="编辑").click()
    page.get_by_label("企业微信账号").fill("not valid!")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("企业微信账号只能由字母")).to_be_visible()
    page.get_by_label("企业微信账号").fill(user_id)
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("已保存")).to_be_visible()

    # The account reaches notify with the directory's event; until then 企业微信 is
    # refused with its reason, so the dialog is opened once notify knows it.
    path = f"/users/{member.id}/notification-preferences"
    assert eventually(lambda: system.admin().get(path).json()["wecom_userid"] == user_id,
                      timeout=SETTLE_S)
    row.get_by_role("button", name="通知方式").click()
    dialog = page.get_by_role("dialog", name="通知方式")
    expect(dialog.get_by_text(f"（{user_id}）")).to_be_visible()
    switch = dialog.get_by_role("switch", name="企业微信")
    expect(switch).not_to_be_checked()
    dialog.locator(".setting", has_text="企业微信").locator(".el-switch").click()
    expect(page.get_by_text("已为aawecom开启企业微信通知")).to_be_visible()
    expect(switch).to_be_checked()
    admin.shot("wecom-channels")
    dialog.get_by_role("button", name="完成").click()

    mine = Journey(browser.new_context(viewport=VIEWPORTS["phone"], locale="zh-CN").new_page(),
                   system.base, tmp_path, "phone")
    login(mine, member.api.get("/me").json()["username"], landing="年报送进度")
    mine.nav("个人设置")
    expect(mine.page.get_by_role("switch", name="企业微信通知")).to_be_checked()
    expect(mine.page.get_by_text(f"账号 {user_id}")).to_be_visible()
    mine.shot("me-wecom")

    report = member.api.post("/reports", dict(REPORT, title="关于改善农村客运班线的建议")).json()
    assert eventually(lambda: chief.api.post(f"/review/{report['id']}/return", {
        "comment": "请补充数据"}).status_code == 200, timeout=SETTLE_S)
    assert eventually(lambda: [m for m in system.wecom.received() if m["touser"] == user_id],
                      timeout=SETTLE_S)
    # The 422 of the malformed account is the one console error we caused.
    assert [e for e in admin.errors if "422" not in e] == [], admin.errors
    assert mine.errors == [], mine.errors
    context.close()
