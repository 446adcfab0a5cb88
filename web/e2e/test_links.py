"""Linked levels in Debian's Chromium: an admin links the county's install to the city's,
an editor forwards an adopted piece up it and sees its report forwarded at city level at
once, and the admin sees the message waiting while the city's install does not answer.
No console errors on the way."""
import uuid

import minyi_common

from journey import VIEWPORTS, Journey
from playwright.sync_api import expect

from tests.people import REPORT, make_people
from tests.system import ADMIN_PASSWORD, eventually
from test_office_workbench import decide, login, submit_dialog


def test_an_admin_links_the_city_and_an_editor_forwards_a_piece_up(system, browser, tmp_path):
    _, people = make_people(system, author=["member"], chief=["editor"])
    author, chief = people["author"], people["chief"]
    suffix = uuid.uuid4().hex[:4]
    title = f"关于加强山塘水库巡查{suffix}的建议"
    report_id = author.api.post("/reports", dict(REPORT, title=title)).json()["id"]
    assert eventually(lambda: chief.api.post(f"/review/{report_id}/adopt", {}).status_code == 200)

    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    admin = Journey(context.new_page(), system.base, tmp_path, "desktop")
    login(admin, "admin", ADMIN_PASSWORD)
    admin.page.goto(f"{admin.base}/admin/links")
    page = admin.page
    page.get_by_label("对方单位名称（如某某市政协）").fill(f"某某市政协{suffix}")
    # Nothing answers at this address: the message will wait, tried again.
    page.get_by_label("对方系统地址（以 http 或 https 开头）").fill("http://127.0.0.1:9")
    page.get_by_label("链接标识（双方相同，英文字母、数字）").fill(f"county-city-{suffix}")
    page.get_by_label("共享密钥（双方相同，至少32个字符）").fill("short")
    page.get_by_role("button", name="添加").click()
    expect(page.get_by_text("共享密钥至少32个字符。")).to_be_visible()
    page.get_by_label("共享密钥（双方相同，至少32个字符）").fill(uuid.uuid4().hex * 2)
    page.get_by_text("允许内网地址").click()
    page.get_by_role("button", name="添加").click()
    expect(page.get_by_text("已添加联网链接")).to_be_visible()
    # The release the office runs, for whoever reports a problem.
    expect(page.locator("[data-test=footer]")).to_contain_text(f"版本 {minyi_common.__version__}")
    admin.shot("links")

    editor_context = browser.new_context(viewport=VIEWPORTS["desktop"])
    editor = Journey(editor_context.new_page(), system.base, tmp_path, "desktop")
    login(editor, chief.api.get("/me").json()["username"])
    editor.page.goto(f"{editor.base}/review/{report_id}")
    expect(editor.page.get_by_role("heading", name=title)).to_be_visible()
    dialog = decide(editor, "报送上级")
    editor.pick("报送至", f"某某市政协{suffix}", within=dialog)
    editor.shot("forward-dialog")
    submit_dialog(editor, dialog, "报送上级")
    expect(editor.page.get_by_text("市级报送").first).to_be_visible()
    expect(editor.page.get_by_role("button", name="报送上级")).to_be_hidden()

    page.reload()
    card = page.locator("li", has_text=f"某某市政协{suffix}")
    expect(card).to_contain_text("1 条待发送", timeout=20_000)
    admin.reload_until("无法连接对方服务器", timeout=20)
    admin.shot("links-waiting")
    for journey in (admin, editor):
        assert journey.errors == [], journey.errors
    context.close()
    editor_context.close()
