"""短信验证码登录 in Debian's Chromium, on a phone: a member asks for a code, a wrong one is
refused with a reason, the one the fake Alibaba Cloud SMS received signs them in. No
console errors beyond the refused login itself."""
import uuid

from journey import SETTLE_S, VIEWPORTS, Journey
from playwright.sync_api import expect

from tests.people import make_people
from tests.system import eventually


def test_a_member_signs_in_with_a_code_on_a_phone(system, browser, tmp_path):
    _, people = make_people(system, coder=["member"])
    member = people["coder"]
    phone = f"158{uuid.uuid4().int % 10**8:08d}"
    assert system.admin().patch(f"/users/{member.id}", {"phone": phone}).status_code == 200
    # The number reaches notify with the directory's event; wait for it.
    assert eventually(lambda: member.api.put("/notifications/preferences", {"sms": True}).ok,
                      timeout=SETTLE_S)

    context = browser.new_context(viewport=VIEWPORTS["phone"], locale="zh-CN")
    me = Journey(context.new_page(), system.base, tmp_path, "phone")
    page = me.page
    page.goto(f"{system.base}/login")
    page.get_by_role("button", name="手机验证码").click()
    page.get_by_label("手机号码").fill("1234")
    page.get_by_role("button", name="获取验证码").click()
    expect(page.get_by_text("请输入正确的11位手机号码")).to_be_visible()
    page.get_by_label("手机号码").fill(phone)
    page.get_by_role("button", name="获取验证码").click()
    expect(page.get_by_role("button", name="秒后重发")).to_be_disabled()
    codes = eventually(lambda: [m["params"]["code"] for m in system.sms.received()
                                if m.get("phone") == phone and "code" in m.get("params", {})],
                       timeout=SETTLE_S)
    assert codes
    me.shot("sms-login")
    wrong = "000000" if codes[-1] != "000000" else "111111"
    page.get_by_role("textbox", name="验证码").fill(wrong)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_text("验证码不正确或已过期")).to_be_visible()
    page.get_by_role("textbox", name="验证码").fill(codes[-1])
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_text("您好，coder")).to_be_visible()
    me.shot("sms-login-in")
    assert me.errors == [], me.errors
    context.close()
