"""The gateway as a client developer and an operator meet it: a valid OpenAPI
document covering every route, a docs page, problem+json for every error, idempotency,
request ids, metrics, and a property-based run that finds no server error."""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid

import pytest
import requests
from openapi_spec_validator import validate

from gateway.http import ApiRoute
from gateway.service import GatewayService

from .people import REPORT, make_people
from .system import Api, eventually

SPEC_ROUTES = [  # the API's routes (docs/api.md), as paths of the document
    ("post", "/api/v1/auth/login"), ("get", "/api/v1/me"), ("post", "/api/v1/units"),
    ("get", "/api/v1/units"), ("post", "/api/v1/users"), ("get", "/api/v1/users"),
    ("patch", "/api/v1/users/{user_id}"), ("post", "/api/v1/reports"),
    ("get", "/api/v1/reports"), ("get", "/api/v1/reports/{report_id}"),
    ("put", "/api/v1/reports/{report_id}"), ("post", "/api/v1/reports/{report_id}/submit"),
    ("post", "/api/v1/reports/{report_id}/withdraw"), ("get", "/api/v1/review/queue"),
    ("post", "/api/v1/review/{report_id}/return"), ("post", "/api/v1/review/{report_id}/retain"),
    ("post", "/api/v1/review/{report_id}/reject"), ("post", "/api/v1/review/{report_id}/adopt"),
    ("post", "/api/v1/review/merge"), ("post", "/api/v1/review/{report_id}/outcomes"),
    ("get", "/api/v1/scores/rules"), ("post", "/api/v1/scores/rules"),
    ("get", "/api/v1/scores/standings"), ("get", "/api/v1/scores/people/{person_id}"),
    ("get", "/api/v1/scores/units/{unit_id}"), ("get", "/api/v1/scores/quota"),
    ("get", "/api/v1/scores/bulletins/{period}"), ("get", "/api/v1/notifications"),
    ("post", "/api/v1/notifications/{notification_id}/read"),
    ("get", "/api/v1/notifications/preferences"), ("put", "/api/v1/notifications/preferences"),
    ("post", "/api/v1/webhooks"), ("get", "/api/v1/webhooks"),
    ("delete", "/api/v1/webhooks/{webhook_id}"), ("get", "/api/v1/notifications/deliveries"),
    ("post", "/api/v1/notifications/deliveries/{delivery_id}/retry"), ("get", "/healthz"),
    ("get", "/readyz"), ("get", "/metrics"), ("get", "/openapi.json"), ("get", "/docs"),
]


def test_the_openapi_document_is_valid_and_covers_every_route(system):
    document = requests.get(system.base + "/openapi.json", timeout=10).json()
    validate(document)
    operations = {(m, p) for p, ops in document["paths"].items() for m in ops}
    assert set(SPEC_ROUTES) <= operations, set(SPEC_ROUTES) - operations
    declared = {(e.method.lower(), re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", e.url))
                for name in vars(GatewayService)
                for e in getattr(getattr(GatewayService, name), "nameko_entrypoints", ())
                if isinstance(e, ApiRoute)}
    assert declared == operations
    create = document["paths"]["/api/v1/reports"]["post"]
    body = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    fields = document["components"]["schemas"][body.split("/")[-1]]["properties"]
    assert {"title", "situation", "analysis", "suggestions", "category"} <= set(fields)
    assert fields["title"]["maxLength"] == 60
    assert "422" in create["responses"] and "413" in create["responses"]
    # Limits the services enforce are stated, so that a client can check before sending.
    def query(path, name):
        return next(p["schema"] for p in document["paths"][path]["get"]["parameters"]
                    if p["name"] == name)
    assert query("/api/v1/scores/quota", "year") == {"type": "integer", "minimum": 2000,
                                                     "maximum": 2999}
    assert query("/api/v1/scores/bulletins/{period}", "format")["enum"] == [
        "json", "csv", "xlsx", "docx"]
    hook = document["components"]["schemas"]["WebhookInput"]["properties"]
    assert hook["url"]["maxLength"] == 500 and hook["event_types"]["minItems"] == 1
    assert "report_adopted" in hook["event_types"]["items"]["enum"]
    assert not any(e.startswith("directory.") for e in hook["event_types"]["items"]["enum"])


def test_the_docs_page_works_without_outside_network(system):
    page = requests.get(system.base + "/docs", timeout=10)
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    assert "/docs/static/swagger-ui-bundle.js" in page.text and "http" not in page.text.replace(
        'url: "/openapi.json"', "")
    script = requests.get(system.base + "/docs/static/swagger-ui-bundle.js", timeout=10)
    assert script.status_code == 200 and len(script.content) > 100_000
    assert requests.get(system.base + "/docs/static/../secrets", timeout=10).status_code == 404


def test_every_kind_of_error_is_problem_json(system):
    admin = system.admin()
    def problem(answer, status):
        assert answer.status_code == status, answer.text
        assert answer.headers["Content-Type"].startswith("application/problem+json")
        body = answer.json()
        assert body["status"] == status and body["title"] and body["detail"]
        return body
    problem(admin.get("/no/such/route"), 404)
    wrong_method = admin.call("DELETE", "/units")
    problem(wrong_method, 405)
    assert set(wrong_method.headers["Allow"].split(", ")) >= {"GET", "POST"}
    problem(admin.call("POST", "/units", data=b"{", headers={"Content-Type":
                                                             "application/json"}), 400)
    problem(Api(system.base).get("/me"), 401)
    assert problem(admin.post("/units", {"kind": "party"}), 422)["errors"] == {
        "name": ["此项必填。"]}
    english = admin.post("/units", {"kind": "party"}, headers={"Accept-Language": "en-US,en"})
    assert english.json()["errors"] == {"name": ["Missing data for required field."]}
    assert english.json()["code"] == "invalid_fields"
    assert english.json()["detail"] == "some fields are invalid"
    bad_kind = admin.post("/units", {"name": "某单位", "kind": "club"})
    assert problem(bad_kind, 422)["errors"]["kind"] == [
        "须为以下之一：民主党派、专委会、镇办政协工作室、界别、信息直报点、政府部门、下级政协、其他。"]

    # An oversized body is refused from its headers, before it is read: the client says
    # it will send 10 MB and sends a few bytes; the answer comes at once.
    with socket.create_connection(("127.0.0.1", system.port), timeout=10) as raw:
        raw.sendall(b"POST /api/v1/reports HTTP/1.1\r\nHost: x\r\nContent-Type: "
                    b"application/json\r\nContent-Length: 10000000\r\n\r\n{}")
        reply = raw.recv(4096).decode("utf-8", "replace")
    assert reply.startswith("HTTP/1.1 413") and "problem+json" in reply


def test_idempotency_keys_over_http(system):
    _, people = make_people(system, zhang=["member"])
    author = people["zhang"].api
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = author.post("/reports", REPORT, headers=key)
    again = author.post("/reports", REPORT, headers=key)
    assert first.status_code == 201 and again.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    other = author.post("/reports", dict(REPORT, title="关于另一件事情的建议"), headers=key)
    assert other.status_code == 409
    assert author.get("/reports").json()["total"] == 1


def test_request_ids_reach_every_service_log_and_metrics_are_exposed(system):
    admin = system.admin()
    request_id = f"trace-{uuid.uuid4().hex[:12]}"
    answer = admin.get("/reports", headers={"X-Request-ID": request_id})
    assert answer.headers["X-Request-ID"] == request_id
    assert admin.get("/reports").headers["X-Request-ID"]  # made up when not given
    def logged():
        lines = [json.loads(line) for line in system.tail(4000).splitlines()
                 if line.startswith("{") and request_id in line]
        return {line["service"] for line in lines}
    admin.get("/reports/nope", headers={"X-Request-ID": request_id})  # logged by intake
    assert eventually(lambda: {"intake"} <= logged(), timeout=5), logged()

    text = requests.get(system.base + "/metrics", timeout=20).text
    for metric in ("minyi_http_requests_total", "minyi_http_request_seconds_bucket",
                   "minyi_rpc_seconds_bucket", 'minyi_outbox_backlog{service="intake"}',
                   'minyi_service_up{service="scoring"} 1.0'):
        assert metric in text, metric
    assert 'route="/api/v1/reports"' in text


def test_a_browser_learns_who_it_is_but_not_the_seal_services_check(system):
    """/me and /auth/session answer what MeAnswer declares: the principal's expiry and
    signature are for the services behind the gateway."""
    member = system.admin()
    for answer in (member.get("/me").json(), member.get("/auth/session").json()["user"]):
        assert {"id", "username", "roles", "unit_ids"} <= set(answer), answer
        assert not {"expires", "signature"} & set(answer), answer


def test_an_admin_cannot_lock_themselves_out(system):
    admin = system.admin()
    me = admin.get("/me").json()
    assert admin.patch(f"/users/{me['id']}", {"active": False}).status_code == 409
    assert admin.patch(f"/users/{me['id']}", {"roles": ["editor"]}).status_code == 409
    assert admin.get("/me").status_code == 200


@pytest.mark.skipif(shutil.which("st", path=os.path.dirname(sys.executable)) is None,
                    reason="schemathesis is installed by `make test` (requirements-dev.txt)")
def test_property_based_requests_find_no_server_error_and_answers_match_their_schemas(
        own_system):
    system = own_system  # it changes the rule table and quotas at random: alone
    # One person in every role, so that every operation is tried past its role check (an
    # admin alone gets 403 for a new report and never reaches intake with one).
    admin = system.admin()
    unit = admin.post("/units", {"name": f"模糊测试单位{uuid.uuid4().hex[:6]}", "kind": "party"})
    username = f"fuzzer{uuid.uuid4().hex[:6]}"
    made = admin.post("/users", {"username": username, "password": "password-123",
                                 "display_name": "模糊测试", "unit_ids": [unit.json()["id"]],
                                 "roles": ["member", "officer", "unit_admin", "editor", "admin"]})
    assert made.status_code == 201, made.text
    fuzzer = Api(system.base).login(username, "password-123")
    command = [os.path.join(os.path.dirname(sys.executable), "st"), "run",
               f"{system.base}/openapi.json", "--url", system.base,
               # No 500, and every answer is what /openapi.json says it is (the web
               # app's generated types rely on that).
               "--checks", "not_a_server_error,response_schema_conformance", "-H", f"Authorization: Bearer {fuzzer.token}",
               # One worker: hypothesis parses lambdas with `ast`, which on CPython 3.11.7
               # fails now and then when two threads do it at once (SystemError).
               "--max-examples", "10", "--workers", "1", "--request-timeout", "30",
               "--phases", "examples,coverage,fuzzing", "--seed", "20261127",
               # It would end this run's token by a change of one's own account
               # (schemathesis learns the id from GET /auth/session), and every later
               # request would be a 401 that tests nothing. (A reset of one's own
               # password is refused, 409, so resets are in.)
               "--exclude-operation-id", "update_user",
               # Another install's messages: every one without the link's signature is a
               # 401 by design (tests/test_linked_levels.py sends signed and forged ones).
               "--exclude-operation-id", "federation_inbound"]
    started = time.monotonic()
    run = subprocess.run(command, capture_output=True, text=True, timeout=600)
    report = run.stdout[run.stdout.find("FAILURES"):] if "FAILURES" in run.stdout else ""
    # The failures come first in the report and its warnings after them: keep its head.
    assert run.returncode == 0, (report[:6000] if report else run.stdout[-6000:]) + \
        run.stderr[-2000:]
    selected = re.search(r"Selected: (\d+)/(\d+)", run.stdout)
    tested = re.search(r"Tested: (\d+)", run.stdout)
    assert selected and tested and tested.group(1) == selected.group(1), run.stdout[-3000:]
    assert int(selected.group(2)) - int(selected.group(1)) == 2  # the two left out above
    # The run went through as a signed-in person: nothing ended its token on the way, and
    # no operation answered it with nothing but 401 or 403.
    assert fuzzer.get("/me").status_code == 200
    assert "Authentication failed" not in run.stdout, run.stdout[-6000:]
    print(f"schemathesis: {time.monotonic() - started:.0f} s")
