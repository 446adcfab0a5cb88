"""Sign-in by SMS code (SQLite and PostgreSQL), through the fake Alibaba Cloud SMS: a code
goes to the mobile of the one active account that has it, opens that account once, and
no other way; unknown numbers get the same answer and no SMS; a malformed number is
refused at its field; a flood of requests for one number waits; password sign-in is
untouched by any of it."""
import uuid

import pytest

from .people import make_people
from .system import Api, assert_speaks_chinese, eventually


@pytest.fixture(scope="module")
def member(system):
    _, people = make_people(system, phoneowner=["member"])
    person = people["phoneowner"]
    person.phone = f"135{uuid.uuid4().int % 10**8:08d}"
    assert system.admin().patch(f"/users/{person.id}", {"phone": person.phone}).status_code == 200
    return person


def codes_to(system, phone) -> list:
    return [m["params"]["code"] for m in system.sms.received()
            if m.get("phone") == phone and m.get("template") == "SMS_LOGIN"]


def test_a_code_signs_its_owner_in_once(system, member):
    anonymous = Api(system.base)
    assert anonymous.get("/auth/session").json()["sms_login"] is True
    # notify learns the number from the directory's event: once it has, SMS may be chosen.
    assert eventually(lambda: member.api.put("/notifications/preferences", {"sms": True}).ok,
                      timeout=30)
    assert anonymous.post("/auth/sms-code", {"phone": member.phone}).status_code == 202
    assert eventually(lambda: codes_to(system, member.phone), timeout=30)
    code = codes_to(system, member.phone)[-1]
    assert len(code) == 6 and code.isdigit()
    wrong = "000000" if code != "000000" else "111111"
    refused = anonymous.post("/auth/login", {"phone": member.phone, "code": wrong})
    assert refused.status_code == 401
    assert_speaks_chinese(refused.json())
    signed_in = anonymous.post("/auth/login", {"phone": member.phone, "code": code})
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json()["user"]["id"] == member.id
    token = signed_in.json()["access_token"]
    me = system_get_me(system, token)
    assert me["id"] == member.id
    again = anonymous.post("/auth/login", {"phone": member.phone, "code": code})
    assert again.status_code == 401  # one use
    # A browser session works the same way.
    assert anonymous.post("/auth/login", {"phone": member.phone, "code": code,
                                          "session": "yes"}).status_code == 422


def system_get_me(system, token) -> dict:
    import requests
    return requests.get(f"{system.base}/api/v1/me",
                        headers={"Authorization": f"Bearer {token}"}, timeout=10).json()


def test_unknown_malformed_and_flooded_numbers(system, member):
    anonymous = Api(system.base)
    unknown = f"136{uuid.uuid4().int % 10**8:08d}"
    assert anonymous.post("/auth/sms-code", {"phone": unknown}).status_code == 202
    assert anonymous.post("/auth/sms-code", {"phone": unknown}).status_code == 429  # a minute
    for bad in ("12345", "23800138000", "", None):
        answer = anonymous.post("/auth/sms-code", {"phone": bad})
        assert answer.status_code == 422, answer.text
        assert_speaks_chinese(answer.json())
        assert "phone" in answer.json()["errors"]
    assert anonymous.post("/auth/login", {"phone": unknown, "code": "123456"}).status_code == 401
    assert codes_to(system, unknown) == []
    # Password sign-in is not touched by code requests from here.
    username = member.api.get("/me").json()["username"]
    assert anonymous.post("/auth/login", {"username": username,
                                          "password": "password-123"}).status_code == 200


def test_one_active_account_per_mobile_and_only_mobiles_where_sms_is_sent(system, member):
    admin = system.admin()
    suffix = uuid.uuid4().hex[:6]
    spaced = f"+86 {member.phone[:3]} {member.phone[3:7]} {member.phone[7:]}"
    def new(name, **fields):
        return admin.post("/users", {"username": f"{name}{suffix}", "password": "password-123",
                                     "display_name": name, "roles": ["member"], **fields})
    taken = new("twin", phone=spaced)
    assert taken.status_code == 409 and taken.json()["code"] == "phone_in_use"
    assert_speaks_chinese(taken.json())
    assert "家人共用" in taken.json()["detail"]
    landline = new("landline", phone="010-6512 3456")  # this office sends SMS: a mobile
    assert landline.status_code == 422 and "phone" in landline.json()["errors"]
    # A disabled account may keep the number; enabling it again is refused while it is taken.
    asleep = new("asleep", phone=spaced, active=False)
    assert asleep.status_code == 201, asleep.text
    assert asleep.json()["phone"] == member.phone  # kept as its 11 digits
    woken = admin.patch(f"/users/{asleep.json()['id']}", {"active": True})
    assert woken.status_code == 409 and woken.json()["code"] == "phone_in_use"
    mine = admin.patch(f"/users/{member.id}", {"phone": member.phone})  # its own: fine
    assert mine.status_code == 200
