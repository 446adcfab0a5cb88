"""The audit log in Debian's Chromium, on a desktop and a phone: an admin finds a failed
sign-in and a role change by filtering, with no console errors on the way."""
import uuid

import pytest
from journey import VIEWPORTS, Journey
from playwright.sync_api import expect

from tests.people import make_people
from tests.system import ADMIN_PASSWORD, Api
from test_office_workbench import login


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_an_admin_finds_a_failed_sign_in_and_a_role_change(system, browser, viewport, tmp_path):
    _, people = make_people(system, qin=["member"])
    person = people["qin"]
    username = person.api.get("/me").json()["username"]
    wrong = Api(system.base).post("/auth/login", {"username": username,
                                                  "password": f"guess-{uuid.uuid4().hex[:6]}"})
    assert wrong.status_code == 401
    admin_api = system.admin()
    assert admin_api.patch(f"/users/{person.id}", {"roles": ["member", "officer"]}).status_code == 200

    context = browser.new_context(viewport=VIEWPORTS[viewport], locale="zh-CN")
    admin = Journey(context.new_page(), system.base, tmp_path, viewport)
    login(admin, "admin", ADMIN_PASSWORD)
    admin.page.goto(f"{admin.base}/admin/audit")
    page = admin.page
    expect(page.get_by_text("至少保存180天")).to_be_visible()

    page.get_by_label("操作人").fill(username)
    admin.pick("操作类型", "登录")
    page.get_by_role("button", name="查询").click()
    row = page.locator("tbody tr").first
    expect(row).to_contain_text("身份验证失败")
    expect(row).to_contain_text(username)
    expect(row).to_contain_text("127.0.0.1")
    expect(row).to_contain_text("password: ***")
    admin.shot("audit-failed-login")

    page.get_by_label("操作人").fill("admin")
    admin.pick("操作类型", "修改账号或角色")
    page.get_by_role("button", name="查询").click()
    row = page.locator("tbody tr", has_text=person.id).first
    expect(row).to_contain_text("成功")
    expect(row).to_contain_text('roles: ["member","officer"]')
    admin.shot("audit-role-change")
    assert admin.errors == [], admin.errors
    context.close()
