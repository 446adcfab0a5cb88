"""A hand-off (转办) round trip in Debian's Chromium: an editor hands an adopted report to a
government department with a due date; the department's admin, on a phone, finds it on
/handoffs and replies; the author, on a phone, reads the reply on the report and rates
it; the editor sees the rating on the case. No console errors on the way."""
import uuid

from journey import VIEWPORTS, Journey
from playwright.sync_api import expect

from tests.people import REPORT, make_people
from tests.system import eventually
from test_office_workbench import decide, login, open_case, submit_dialog


def test_a_department_replies_on_a_phone_and_the_author_rates_it(system, browser, tmp_path):
    _, people = make_people(system, author=["member"], chief=["editor"])
    author, chief = people["author"], people["chief"]
    suffix = uuid.uuid4().hex[:4]
    admin = system.admin()
    water = admin.post("/units", {"name": f"县水利局{suffix}", "kind": "department"}).json()
    admin.post("/users", {"username": f"water{suffix}", "password": "password-123",
                          "display_name": "水利局联络员", "roles": ["unit_admin"],
                          "unit_ids": [water["id"]]})
    title = f"关于整治灌溉渠道渗漏{suffix}的建议"
    report_id = author.api.post("/reports", dict(REPORT, title=title)).json()["id"]
    assert eventually(lambda: chief.api.post(f"/review/{report_id}/adopt", {}).status_code == 200)

    # The editor hands it over, choosing the department among the receiving units.
    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    editor = Journey(context.new_page(), system.base, tmp_path, "desktop")
    login(editor, chief.api.get("/me").json()["username"])
    editor.page.goto(f"{editor.base}/review/{report_id}")
    expect(editor.page.get_by_role("heading", name=title)).to_be_visible()
    dialog = decide(editor, "转办")
    dialog.locator(".el-dialog__footer").get_by_role("button", name="转办").click()
    expect(dialog.get_by_text("请选择承办单位。")).to_be_visible()
    editor.pick("承办单位", water["name"], within=dialog)
    dialog.get_by_label("交办意见（可选）").fill("请于两周内办复。")
    editor.shot("handoff-dialog")
    submit_dialog(editor, dialog, "转办")
    handoffs = editor.page.locator("[data-test=handoffs]")
    expect(handoffs).to_contain_text(water["name"])
    expect(handoffs).to_contain_text("待办复")

    # The department's admin, on a phone: the hand-off page, the report's text, a reply.
    clerk_context = browser.new_context(viewport=VIEWPORTS["phone"])
    clerk = Journey(clerk_context.new_page(), system.base, tmp_path, "phone")
    login(clerk, f"water{suffix}")
    clerk.nav("转办")
    expect(clerk.page.get_by_role("heading", name="转办事项")).to_be_visible()
    card = clerk.page.locator(".el-card", has_text=title)
    expect(card).to_contain_text("请于两周内办复。")
    card.get_by_role("button", name="办复", exact=True).click()
    card.get_by_role("button", name="提交办复").click()
    expect(card.get_by_text("请选择办理结果。")).to_be_visible()
    card.get_by_text("正在解决").click()
    card.get_by_label("办理情况").fill("已安排资金，年底前完成渠道防渗改造。")
    clerk.shot("handoff-reply")
    card.get_by_role("button", name="提交办复").click()
    expect(clerk.page.get_by_text("已办复").first).to_be_visible()
    clerk.page.locator(".el-radio-button", has_text="全部").click()
    expect(clerk.page.locator(".el-card", has_text=title)).to_contain_text("已办复：正在解决")
    clerk.shot("handoffs-list")

    # The author, on a phone, reads the reply on the report and rates it.
    author_context = browser.new_context(viewport=VIEWPORTS["phone"])
    member = Journey(author_context.new_page(), system.base, tmp_path, "phone")
    login(member, author.api.get("/me").json()["username"])
    member.page.goto(f"{member.base}/reports/{report_id}")
    box = member.page.locator("[data-test=handoffs]")
    expect(box).to_contain_text("已安排资金，年底前完成渠道防渗改造。")
    box.get_by_text("基本满意").click()
    box.get_by_label("意见（可选）").fill("希望按期完工。")
    member.shot("handoff-rating")
    box.get_by_role("button", name="提交评价").click()
    expect(box).to_contain_text("作者评价：基本满意")

    # Back on the editor's desk: the rating is there.
    editor.page.reload()
    expect(editor.page.locator("[data-test=handoffs]")).to_contain_text("已评价：基本满意")
    for journey in (editor, clerk, member):
        assert journey.errors == [], journey.errors
    for each in (context, clerk_context, author_context):
        each.close()
