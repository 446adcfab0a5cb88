"""The gateway in a real nameko container: auth, directory, deadlines."""
import time

import eventlet
import pytest
import requests

import minyi_common

from gateway.service import GatewayService
from minyi_common.nameko import rpc
from tests.system import Api, free_port

ADMIN = ("root", "root-password-1")
RPC_TIMEOUT = 2


@pytest.fixture
def gateway(container_factory, service_config, monkeypatch):
    monkeypatch.setenv("MINYI_ADMIN_USERNAME", ADMIN[0])
    monkeypatch.setenv("MINYI_ADMIN_PASSWORD", ADMIN[1])
    port = free_port()
    # Long enough for an answer when two test processes share the cores (0.5 s was not),
    # short enough that the test of a late answer waits only this long.
    cfg = service_config("gateway", gateway_port=port, rpc_timeout=RPC_TIMEOUT)
    container = container_factory(GatewayService, cfg)
    container.start()
    return {"base": f"http://127.0.0.1:{port}", "config": cfg,
            "admin": Api(f"http://127.0.0.1:{port}").login(*ADMIN)}


class SlowIntake:
    """Stands in for intake and answers too late."""
    name = "intake"

    @rpc
    def list_reports(self, principal, filters=None):
        eventlet.sleep(RPC_TIMEOUT * 4)
        return {"items": [], "total": 0, "page": 1, "page_size": 20}


def test_a_service_that_does_not_answer_in_time_gives_503(gateway, container_factory):
    container_factory(SlowIntake, gateway["config"]).start()
    answer = gateway["admin"].get("/reports")
    assert answer.status_code == 503
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert answer.json()["code"] == "service_busy" and "报送服务" in answer.json()["detail"]
    assert answer.headers["Retry-After"] == "5"  # a busy or restarting part: seconds


def test_a_service_that_is_not_running_gives_503(gateway):
    answer = gateway["admin"].get("/review/queue")
    assert answer.status_code == 503


def test_readyz_names_what_is_missing(gateway):
    answer = requests.get(gateway["base"] + "/readyz", timeout=10)
    assert answer.status_code == 503
    checks = answer.json()["checks"]
    assert checks["broker"] == "ok" and checks["intake"] != "ok"
    assert requests.get(gateway["base"] + "/healthz", timeout=5).json() == {
        "status": "ok", "version": minyi_common.__version__}


PINGS = []


def stand_in(service_name):
    """A service that answers readiness pings (and counts them)."""
    class StandIn:
        name = service_name

        @rpc
        def ping(self):
            PINGS.append(service_name)
            return service_name

        @rpc
        def stats(self):
            return {"outbox_backlog": 0}
    return StandIn


def test_a_flood_of_readiness_probes_costs_the_services_one_ping_each(gateway,
                                                                    container_factory):
    """Anonymous callers may ask /readyz as often as they like: behind the gateway that is
    one probe of the broker and each service every 2 s, shared by all of them."""
    PINGS.clear()
    for service in ("intake", "review", "scoring", "notify"):
        container_factory(stand_in(service), gateway["config"]).start()
    eventlet.sleep(2.1)  # the answer from before the stand-ins (not ready) grows old
    pool = eventlet.GreenPool(30)
    answers = list(pool.imap(lambda _: requests.get(gateway["base"] + "/readyz", timeout=10),
                             range(30)))
    assert [a.status_code for a in answers] == [200] * 30
    assert sorted(PINGS) == ["intake", "notify", "review", "scoring"], PINGS


def test_login_and_roles(gateway):
    admin = gateway["admin"]
    unit = admin.post("/units", {"name": "农工党县委会", "kind": "party"}).json()
    made = admin.post("/users", {"username": "member1", "password": "password-123",
                                 "display_name": "成员一", "roles": ["member"],
                                 "unit_ids": [unit["id"]]})
    assert made.status_code == 201 and "password" not in made.json()
    member = Api(gateway["base"]).login("member1", "password-123")
    me = member.get("/me").json()
    assert me["roles"] == ["member"] and me["unit_ids"] == [unit["id"]]
    assert member.post("/units", {"name": "x", "kind": "party"}).status_code == 403
    assert member.get("/users").status_code == 403

    bad = admin.post("/users", {"username": "member1", "password": "short",
                                "display_name": "", "roles": ["king"]})
    assert bad.status_code == 422
    assert set(bad.json()["errors"]) == {"password", "display_name", "roles"}
    taken = admin.post("/users", {"username": "member1", "password": "password-123",
                                  "display_name": "重名", "roles": ["member"]})
    assert taken.status_code == 422 and set(taken.json()["errors"]) == {"username"}
    assert admin.post("/units", {"name": "农工党县委会", "kind": "party"}).status_code == 422


def test_wrong_passwords_are_throttled_and_disabled_accounts_lose_their_tokens(gateway):
    admin = gateway["admin"]
    user = admin.post("/users", {"username": "officer1", "password": "password-123",
                                 "display_name": "信息员", "roles": ["officer"]}).json()
    officer = Api(gateway["base"]).login("officer1", "password-123")
    anonymous = Api(gateway["base"])
    for _ in range(5):
        assert anonymous.post("/auth/login", {"username": "officer1",
                                              "password": "wrong"}).status_code == 401
    throttled = anonymous.post("/auth/login", {"username": "officer1",
                                               "password": "password-123"})
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) >= 1

    assert officer.get("/me").status_code == 200
    assert admin.patch(f"/users/{user['id']}", {"active": False}).status_code == 200
    assert officer.get("/me").status_code == 401


class BrokenIntake:
    """Stands in for intake and fails in a way nobody planned for."""
    name = "intake"

    @rpc
    def list_reports(self, principal, filters=None):
        raise KeyError("a bug")


def test_an_unexpected_error_is_a_500_with_a_request_id_and_no_traceback(gateway,
                                                                       container_factory):
    container_factory(BrokenIntake, gateway["config"]).start()
    answer = gateway["admin"].get("/reports", headers={"X-Request-ID": "req-42"})
    assert answer.status_code == 500
    body = answer.json()
    assert body["request_id"] == "req-42" and "req-42" in body["detail"]
    assert "Traceback" not in answer.text and "KeyError" not in answer.text


def test_tokens_expire(container_factory, service_config, monkeypatch):
    monkeypatch.setenv("MINYI_ADMIN_USERNAME", ADMIN[0])
    monkeypatch.setenv("MINYI_ADMIN_PASSWORD", ADMIN[1])
    port = free_port()
    # Three seconds, not one: on a loaded machine the first call after a login (its
    # password hash is slow on purpose) took over a second, and found the token expired.
    cfg = service_config("gateway", gateway_port=port, token_lifetime=3)
    container_factory(GatewayService, cfg).start()
    issued = time.monotonic()
    admin = Api(f"http://127.0.0.1:{port}").login(*ADMIN)
    assert admin.get("/me").status_code == 200
    eventlet.sleep(max(0.0, issued + 4.1 - time.monotonic()))
    expired = admin.get("/me")
    assert expired.status_code == 401 and expired.json()["code"] == "token_expired"
    assert expired.json()["detail"] == "登录已过期，请重新登录"
    assert expired.headers["WWW-Authenticate"] == "Bearer"
