"""Accounts (docs/office.md): a person changes their own password; an admin's reset gives a
one-time password that must be replaced before anything else; 常委 and 届次 on a person."""
import requests

from minyi_common.testing import both_backends
from tests.system import Api

from .test_web_session import ADMIN, CSRF, dist, start_gateway  # noqa: F401 (fixture)


def admin_api(base: str) -> Api:
    return Api(base).login(*ADMIN)


def new_member(admin: Api, username="zhangsan", password="first-pass-1") -> dict:
    answer = admin.post("/users", {"username": username, "password": password,
                                   "display_name": "张三", "roles": ["member"],
                                   "is_standing": True, "term": "十五届"})
    assert answer.status_code == 201, answer.text
    return answer.json()


@both_backends
def test_a_person_changes_their_own_password(container_factory, service_config, monkeypatch,
                                             dist):
    base = start_gateway(container_factory, service_config, monkeypatch)
    admin = admin_api(base)
    person = new_member(admin)
    assert person["is_standing"] is True and person["term"] == "十五届"
    # The answer says what the account is: its schema requires it.
    assert person["must_change_password"] is False
    zhang = Api(base).login("zhangsan", "first-pass-1")
    browser = requests.Session()
    assert browser.post(f"{base}/api/v1/auth/login", json={
        "username": "zhangsan", "password": "first-pass-1", "session": True}).status_code == 200

    for body, field in (({"current_password": "wrong-pass-1", "new_password": "second-pass-2"},
                         "current_password"),
                        ({"current_password": "first-pass-1", "new_password": "short1"},
                         "new_password"),
                        ({"current_password": "first-pass-1", "new_password": "onlyletters"},
                         "new_password"),
                        ({"current_password": "first-pass-1", "new_password": "first-pass-1"},
                         "new_password"),
                        ({"current_password": "first-pass-1"}, "new_password")):
        refused = zhang.post("/me/password", body)
        assert refused.status_code == 422 and set(refused.json()["errors"]) == {field}, body
    assert zhang.get("/me").status_code == 200  # nothing changed by the refusals

    changed = zhang.post("/me/password", {"current_password": "first-pass-1",
                                           "new_password": "second-pass-2"})
    assert changed.status_code == 200 and changed.json()["changed"] is True
    assert zhang.get("/me").status_code == 401  # the old token ended with the old password
    assert Api(base, changed.json()["access_token"]).get("/me").status_code == 200
    assert browser.get(f"{base}/api/v1/me").status_code == 401  # other sessions end too
    assert Api(base).post("/auth/login", {"username": "zhangsan", "password": "first-pass-1"}
                          ).status_code == 401
    Api(base).login("zhangsan", "second-pass-2")


@both_backends
def test_after_an_admin_reset_the_person_must_choose_a_new_password(
        container_factory, service_config, monkeypatch, dist):
    base = start_gateway(container_factory, service_config, monkeypatch)
    admin = admin_api(base)
    person = new_member(admin)
    assert Api(base).post(f"/users/{person['id']}/password-reset").status_code == 401
    reset = admin.post(f"/users/{person['id']}/password-reset")
    assert reset.status_code == 200
    one_time = reset.json()["one_time_password"]
    assert len(one_time) == 10 and one_time.isalnum()
    assert admin.post("/users/nobody/password-reset").status_code == 404
    # Not one's own: the admin would be signed out with the new password on screen.
    own = admin.post(f"/users/{admin.get('/me').json()['id']}/password-reset")
    assert own.status_code == 409 and own.json()["code"] == "no_own_reset"
    assert own.json()["detail"] == "不能重置自己的密码，请在“个人设置”中修改密码"
    assert admin.get("/me").status_code == 200  # still signed in, the password unchanged
    admin_api(base)

    browser = requests.Session()
    login = browser.post(f"{base}/api/v1/auth/login", json={
        "username": "zhangsan", "password": one_time, "session": True})
    assert login.status_code == 200 and login.json()["user"]["must_change_password"] is True
    waiting = browser.get(f"{base}/api/v1/auth/session").json()
    assert waiting["user"]["must_change_password"] and "units" not in waiting
    assert browser.get(f"{base}/api/v1/me").status_code == 200
    held = browser.get(f"{base}/api/v1/reports")
    assert held.status_code == 403 and held.json()["code"] == "password_change_required"
    assert held.json()["detail"] == "请先设置新密码再继续"

    changed = browser.post(f"{base}/api/v1/me/password", headers=CSRF, json={
        "current_password": one_time, "new_password": "my-own-pass-3"})
    assert changed.status_code == 200 and "access_token" not in changed.json()
    me = browser.get(f"{base}/api/v1/me").json()  # this browser stays signed in
    assert me["must_change_password"] is False
    listed = [u for u in admin.get("/users?page_size=200").json()["items"]
              if u["id"] == person["id"]]
    assert listed[0]["must_change_password"] is False
    # A password an admin types in is also the person's to replace.
    assert admin.patch(f"/users/{person['id']}", {"password": "admin-typed-4"}).json()[
        "must_change_password"] is True


@both_backends
def test_hostile_strings_are_refused_cleanly_not_500(container_factory, service_config,
                                                     monkeypatch, dist):
    """NUL bytes, over-long usernames, keys and addresses: a clear 4xx problem on either
    database (PostgreSQL stores no NUL and checks every length)."""
    base = start_gateway(container_factory, service_config, monkeypatch)
    admin = admin_api(base)
    anonymous = Api(base)
    assert anonymous.post("/auth/login", {"username": "x" * 500, "password": "p"}
                          ).status_code == 401
    nul = anonymous.post("/auth/login", {"username": "ad\u0000min", "password": "p"})
    assert nul.status_code == 400 and nul.json()["code"] == "nul_in_body"
    assert admin.get("/units?page=1%00").status_code == 400
    assert admin.get("/users/ab%00cd").status_code in (400, 404)
    # A lone surrogate is valid JSON (an escape) but no character: neither database takes it.
    lone = anonymous.post("/auth/login", {"username": "ad\ud800min", "password": "p"})
    assert lone.status_code == 400 and lone.json()["code"] == "surrogate_in_body", lone.text
    assert admin.post("/units", {"name": "单位\udfff", "kind": "party"}).status_code == 400
    assert admin.get("/users?q=%ED%A0%80").status_code in (200, 400)
    assert admin.get("/users/ab%ED%A0%80cd").status_code in (400, 404)
    too_long = admin.post("/users", {"username": "longmail", "password": "long-mail-1",
                                     "display_name": "长邮箱", "roles": ["member"],
                                     "email": "a" * 250 + "@example.cn"})
    assert too_long.status_code == 422 and set(too_long.json()["errors"]) == {"email"}
    two_lines = admin.post("/units", {"name": "第一行\n第二行", "kind": "party"})
    assert two_lines.status_code == 422 and set(two_lines.json()["errors"]) == {"name"}
    # A report's key is checked before anything is asked of intake (not running here), for
    # someone who may write reports at all (anyone else gets a 403 first).
    made = admin.post("/users", {"username": "keyholder", "password": "key-holder-1",
                                 "display_name": "委员甲", "roles": ["member"]})
    assert made.status_code == 201, made.text
    first = Api(base).login("keyholder", "key-holder-1")  # a password an admin typed:
    assert first.post("/me/password", {"current_password": "key-holder-1",  # theirs to replace
                                       "new_password": "key-holder-2"}).status_code == 200
    member = Api(base).login("keyholder", "key-holder-2")
    long_key = member.post("/reports", {"title": "关于某事的建议"},
                           headers={"Idempotency-Key": "k" * 1000})
    assert long_key.status_code == 422 and set(long_key.json()["errors"]) == {"Idempotency-Key"}
    assert admin.get("/users?page_size=200").status_code == 200  # still answering


def test_metrics_need_the_token_when_one_is_set(container_factory, service_config, monkeypatch,
                                                dist):
    base = start_gateway(container_factory, service_config, monkeypatch,
                         metrics_token="metrics-token-for-the-scraper")
    refused = requests.get(f"{base}/metrics", timeout=10)
    assert refused.status_code == 401 and refused.json()["code"] == "metrics_token_required"
    wrong = requests.get(f"{base}/metrics", headers={"Authorization": "Bearer nope"}, timeout=10)
    assert wrong.status_code == 401
    scraped = requests.get(f"{base}/metrics", timeout=20,
                           headers={"Authorization": "Bearer metrics-token-for-the-scraper"})
    assert scraped.status_code == 200 and "minyi_" in scraped.text


@both_backends
def test_the_accounts_search_finds_people_on_any_page(container_factory, service_config,
                                                      monkeypatch, dist):
    """The accounts page searches on the server: a name past the first page is found,
    by name, user name or mobile; % is text, not a wildcard."""
    base = start_gateway(container_factory, service_config, monkeypatch)
    admin = admin_api(base)
    new_member(admin, "aaa-zhang")
    answer = admin.post("/users", {"username": "zzz-zhao", "password": "first-pass-1",
                                   "display_name": "赵六", "roles": ["member"],
                                   "phone": "13800001234"})
    assert answer.status_code == 201, answer.text
    first_page = admin.get("/users?page_size=1").json()
    assert first_page["total"] >= 3 and first_page["items"][0]["username"] != "zzz-zhao"
    for q in ("赵", "zzz", "0001234"):
        found = admin.get("/users", params={"q": q, "page_size": 1}).json()
        assert found["total"] == 1 and found["items"][0]["username"] == "zzz-zhao", q
    assert admin.get("/users", params={"q": "%"}).json()["total"] == 0
    assert admin.get("/users", params={"q": "  张三 "}).json()["total"] == 1
