"""SMS and WeCom notices end to end (SQLite and PostgreSQL), through a fake Alibaba Cloud
SMS that checks each request's signature with Alibaba's own code and a fake of WeCom's
server API: a returned report sends one SMS to the author who chose SMS (its approved
template, the notice's title as its parameter) and none to the author who did not; SMS
cannot be chosen without a mainland mobile; WeCom goes to the author an admin recorded a
WeCom user ID for and whose channels the admin set, as the author asked."""
import time

import pytest

from .people import REPORT, make_people
from .system import assert_speaks_chinese, eventually


@pytest.fixture(scope="module")
def office(system):
    _, people = make_people(system, texted=["member"], quiet=["member"], nophone=["member"],
                            wecomed=["member"], chief=["editor"])
    admin = system.admin()
    for name, phone in (("texted", "138 0013 1234"), ("quiet", "13900131234")):
        assert admin.patch(f"/users/{people[name].id}", {"phone": phone}).status_code == 200
    return people


def test_only_the_author_who_chose_sms_gets_one(office, system):
    texted, quiet, chief = office["texted"], office["quiet"], office["chief"]
    chosen = texted.api.get("/notifications/preferences").json()
    assert {k: chosen[k] for k in ("email", "sms", "wecom", "sms_available")} == {
        "email": True, "sms": False, "wecom": False, "sms_available": True}
    # The phone reaches notify with the directory's event: once it has, SMS may be chosen.
    assert eventually(lambda: texted.api.put("/notifications/preferences", {"sms": True})
                      .status_code == 200, timeout=30)
    chosen = texted.api.get("/notifications/preferences").json()
    assert (chosen["sms"], chosen["phone"]) == (True, "13800131234")  # theirs to see
    titles = {}
    for person in (texted, quiet):
        title = f"关于{person.name}反映停车难问题的建议"
        titles[person.name] = title
        report = person.api.post("/reports", dict(REPORT, title=title)).json()
        assert eventually(lambda: chief.api.post(f"/review/{report['id']}/return", {
            "comment": "请补充数据"}).status_code == 200, timeout=30)
    texts = lambda: [m for m in system.sms.received()  # noqa: E731
                     if m.get("phone") in ("13800131234", "13900131234")]
    assert eventually(texts, timeout=30)
    time.sleep(2)  # a second SMS, or one to the quiet author, would have come by now
    got = texts()
    assert len(got) == 1, got
    assert got[0]["phone"] == "13800131234" and got[0]["template"] == "SMS_RETURNED"
    assert got[0]["params"] == {"title": f"《{titles['texted']}》已退回修改"}
    deliveries = system.admin().get("/notifications/deliveries?page_size=200").json()["items"]
    mine = [d for d in deliveries if d["channel"] == "sms" and d["target"] == "13800131234"]
    assert [d["status"] for d in mine] == ["sent"]


def test_sms_needs_a_mainland_mobile_and_a_boolean(office):
    nophone = office["nophone"]
    for body, field in (({"sms": True}, "sms"), ({"sms": "yes"}, "sms"),
                        ({"pager": True}, "pager")):
        answer = nophone.api.put("/notifications/preferences", body)
        assert answer.status_code == 422, answer.text
        assert_speaks_chinese(answer.json())
        assert field in answer.json()["errors"]
    assert nophone.api.get("/notifications/preferences").json()["sms"] is False
    answer = nophone.api.put("/notifications/preferences", {"email": False}).json()
    assert (answer["email"], answer["sms"]) == (False, False)


def test_an_admin_records_a_wecom_id_and_sets_wecom_for_the_author(office, system):
    wecomed, chief, admin = office["wecomed"], office["chief"], system.admin()
    user_id = f"WeCom{wecomed.id[:8]}"
    assert admin.patch(f"/users/{wecomed.id}", {"wecom_userid": "bad id"}).status_code == 422
    assert admin.patch(f"/users/{wecomed.id}", {"wecom_userid": user_id}).status_code == 200
    path = f"/users/{wecomed.id}/notification-preferences"
    assert wecomed.api.put(path, {"wecom": True}).status_code == 403  # admins only
    # The ID reaches notify with the directory's event: once it has, WeCom may be set.
    assert eventually(lambda: admin.put(path, {"wecom": True}).status_code == 200, timeout=30)
    mine = wecomed.api.get("/notifications/preferences").json()
    assert (mine["wecom"], mine["wecom_userid"], mine["wecom_available"]) == (True, user_id, True)
    title = f"关于{wecomed.name}反映农村饮水问题的建议"
    report = wecomed.api.post("/reports", dict(REPORT, title=title)).json()
    assert eventually(lambda: chief.api.post(f"/review/{report['id']}/return", {
        "comment": "请补充数据"}).status_code == 200, timeout=30)
    cards = lambda: [m for m in system.wecom.received() if m["touser"] == user_id]  # noqa: E731
    assert eventually(cards, timeout=30)
    time.sleep(1)
    got = cards()
    assert len(got) == 1, got
    assert got[0]["textcard"]["title"] == f"《{title}》已退回修改"
    assert got[0]["textcard"]["url"].endswith(f"/reports/{report['id']}")
    audit = admin.get("/audit?action=user.channels").json()["items"]
    assert any(wecomed.id in entry["target"] and entry["status"] == 200 for entry in audit)
