"""SMS notices end to end (SQLite and PostgreSQL), through a fake Alibaba Cloud SMS that
checks each request's signature with Alibaba's own code: a returned report sends one SMS
to the author who chose SMS (its approved template, the notice's title as its parameter)
and none to the author who did not; SMS cannot be chosen without a mainland mobile."""
import time

import pytest

from .people import REPORT, make_people
from .system import assert_speaks_chinese, eventually


@pytest.fixture(scope="module")
def office(system):
    _, people = make_people(system, texted=["member"], quiet=["member"], nophone=["member"],
                            chief=["editor"])
    admin = system.admin()
    for name, phone in (("texted", "138 0013 1234"), ("quiet", "13900131234")):
        assert admin.patch(f"/users/{people[name].id}", {"phone": phone}).status_code == 200
    return people


def test_only_the_author_who_chose_sms_gets_one(office, system):
    texted, quiet, chief = office["texted"], office["quiet"], office["chief"]
    assert texted.api.get("/notifications/preferences").json() == {
        "email": True, "sms": False, "sms_available": True}
    # The phone reaches notify with the directory's event: once it has, SMS may be chosen.
    assert eventually(lambda: texted.api.put("/notifications/preferences", {"sms": True})
                      .status_code == 200, timeout=30)
    assert texted.api.get("/notifications/preferences").json()["sms"] is True
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
    assert nophone.api.put("/notifications/preferences", {"email": False}).json() == {
        "email": False, "sms": False, "sms_available": True}
