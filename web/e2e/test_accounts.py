"""Accounts in the browser (docs/office.md): after an admin's reset the person must choose a new
password before anything else, then works as before; 403s never show up as blank pages."""
import os

from journey import VIEWPORTS, Journey
from playwright.sync_api import expect

from tests.people import make_people
from tests.system import ADMIN_PASSWORD, Api
from test_office_workbench import login



def test_after_a_reset_the_member_sets_a_new_password_first(system, browser, tmp_path):
    _, people = make_people(system, zhou=["member"])
    zhou = people["zhou"]
    username = zhou.api.get("/me").json()["username"]
    one_time = system.admin().post(f"/users/{zhou.id}/password-reset").json()["one_time_password"]
    context = browser.new_context(viewport=VIEWPORTS["phone"])
    journey = Journey(context.new_page(), system.base, tmp_path, "phone")
    page = journey.page
    page.goto(f"{system.base}/reports")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(one_time)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="修改密码")).to_be_visible()
    expect(page.get_by_text("请先设置自己的新密码")).to_be_visible()
    journey.shot("password-required")
    page.goto(f"{system.base}/scores")  # every other page waits for the new password
    expect(page.get_by_role("heading", name="修改密码")).to_be_visible()

    page.get_by_label("当前密码").fill(one_time)
    page.get_by_label("新密码", exact=True).fill("short")
    page.get_by_label("再次输入新密码").fill("short")
    page.get_by_role("button", name="确认修改").click()
    expect(page.get_by_text("至少 8 位，须同时含字母和数字。").first).to_be_visible()
    page.get_by_label("当前密码").fill("wrong-one-1")
    page.get_by_label("新密码", exact=True).fill("zhou-new-pass-1")
    page.get_by_label("再次输入新密码").fill("zhou-new-pass-1")
    page.get_by_role("button", name="确认修改").click()
    expect(page.get_by_text("当前密码不正确。")).to_be_visible()  # the server's own words
    journey.shot("password-wrong")
    page.get_by_label("当前密码").fill(one_time)
    page.get_by_role("button", name="确认修改").click()
    expect(page.get_by_text("年报送进度")).to_be_visible()  # the desk, working again
    journey.shot("password-changed")
    Api(system.base).login(username, "zhou-new-pass-1")
    # The office's pages are not a member's: a deep link says so instead of a blank page.
    for path in ("/review", "/admin/users", "/issues/anything"):
        page.goto(f"{system.base}{path}")
        expect(page.get_by_text("没有权限访问此页面")).to_be_visible()
    journey.shot("forbidden")
    page.goto(f"{system.base}/bulletins")
    expect(page.get_by_role("heading", name="社情民意信息工作通报")).to_be_visible()
    expect(page.get_by_role("button", name="查看")).to_have_count(0)  # staff pick periods
    # The 422 of the wrong current password is the one console error we cause.
    assert [e for e in journey.errors if "422" not in e] == [], journey.errors
    context.close()
    assert os.path.exists(tmp_path / "phone-password-changed.png")


def test_the_accounts_search_finds_a_person_past_the_first_page(system, browser, tmp_path):
    """With more accounts than a page holds, the search still finds anyone: it asks the
    server, not the page at hand."""
    admin = system.admin()
    for n in range(51):
        # Named to sort after everyone else's accounts: other tests find theirs on page 1.
        assert admin.post("/users", {"username": f"zz-member-{n:02d}", "password": "password-123",
                                     "display_name": f"委员{n:02d}", "roles": ["member"]}
                          ).status_code == 201
    assert admin.post("/users", {"username": "zzz-zhaoliu", "password": "password-123",
                                 "display_name": "赵六", "roles": ["member"]}).status_code == 201
    for viewport in ("desktop", "phone"):
        context = browser.new_context(viewport=VIEWPORTS[viewport])
        journey = Journey(context.new_page(), system.base, tmp_path, viewport)
        page = journey.page
        login(journey, "admin", ADMIN_PASSWORD)
        page.goto(f"{system.base}/admin/users")
        expect(page.get_by_text("admin", exact=True).first).to_be_visible()
        expect(page.get_by_text("zzz-zhaoliu")).to_have_count(0)  # on a later page
        page.get_by_label("查找用户").fill("赵六")
        expect(page.get_by_text("zzz-zhaoliu")).to_be_visible()
        expect(page.get_by_text("admin", exact=True)).to_have_count(0)
        journey.shot("accounts-search")
        page.get_by_label("查找用户").fill("")
        expect(page.get_by_text("admin", exact=True).first).to_be_visible()
        expect(page.get_by_text("zzz-zhaoliu")).to_have_count(0)
        assert journey.errors == [], journey.errors
        context.close()
