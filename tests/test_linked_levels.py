"""Linked levels (报送 between installs, docs/federation.md) with three real installs, a
county, a city and a province, each started like `make run` in a vhost of its own, on
each database: a county piece goes up to the city and on to the province, and what each
level does comes back down the chain to the county's author, with points and notices;
messages that are forged, old, replayed or of the wrong kind change nothing."""
import io
import json
import threading
import time
import uuid
from contextlib import ExitStack
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from docx import Document

from minyi_common import officetime
from minyi_common.testing import own_vhost
from services.notify.adapters.senders import signature

from .people import REPORT, make_people
from .system import eventually, running_system

LEVELS = {"county": "某某县政协", "city": "某某市政协", "province": "某某省政协"}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def chain(request, broker_uri, tmp_path_factory):
    """A county, a city and a province, linked: county ↔ city, city ↔ province."""
    backend = request.param
    pg = request.getfixturevalue("pg_server_url") if backend == "postgresql" else None
    with ExitStack() as stack:
        installs = {}
        for level, office in LEVELS.items():
            amqp_uri = stack.enter_context(own_vhost(broker_uri))
            installs[level] = stack.enter_context(running_system(
                amqp_uri, str(tmp_path_factory.mktemp(f"minyi-{level}-{backend}")),
                extra_env={"MINYI_LEVEL": level, "MINYI_OFFICE_NAME": office},
                backend=backend, pg_server_url=pg))
        secrets = {}
        for lower, upper in (("county", "city"), ("city", "province")):
            key_id, secret = f"{lower}-{upper}", uuid.uuid4().hex + uuid.uuid4().hex
            secrets[key_id] = secret
            for here, there, direction in ((lower, upper, "upper"), (upper, lower, "lower")):
                made = installs[here].admin().post("/federation/links", {
                    "name": LEVELS[there], "url": installs[there].base, "level": there,
                    "direction": direction, "key_id": key_id, "secret": secret,
                    "allow_private": True})
                assert made.status_code == 201, made.text
        yield installs, secrets


def office(installs, level):
    """An editor and an author at one level."""
    _, people = make_people(installs[level], author=["member"], editor=["editor"])
    return people["author"], people["editor"]


def link_id(install, direction):
    return next(link["id"] for link in install.admin().get("/federation/links").json()["items"]
                if link["direction"] == direction)


def arrived(editor, title):
    """The id of the report with this title in an editor's queue, once it is there."""
    def find():
        return next((i["id"] for i in editor.api.get("/review/queue?page_size=200")
                     .json()["items"] if i["title"] == title), None)
    found = eventually(find, timeout=30, interval=0.2)
    assert found, f"{title} never reached the queue"
    return found


def outcomes(person, report_id):
    return [(o["kind"], o["level"]) for o in person.api.get(f"/reports/{report_id}")
            .json()["outcomes"]]


def test_a_province_adoption_reaches_the_county_author_through_the_city(chain):
    installs, _ = chain
    author, county_editor = office(installs, "county")
    _, city_editor = office(installs, "city")
    _, province_editor = office(installs, "province")
    title = f"关于整治灌溉渠道渗漏{uuid.uuid4().hex[:4]}的建议"
    report_id = author.api.post("/reports", dict(REPORT, title=title)).json()["id"]
    assert eventually(lambda: county_editor.api.post(f"/review/{report_id}/adopt", {})
                      .status_code == 200, timeout=10)
    piece_id = county_editor.api.get(f"/review/cases/{report_id}").json()["piece_id"]

    # 报送: the county's report is forwarded at city level at once.
    up = county_editor.api.post(f"/review/pieces/{piece_id}/forward",
                                {"link_id": link_id(installs["county"], "upper")})
    assert up.status_code == 202, up.text
    assert up.json()["report_ids"] == [report_id] and up.json()["level"] == "city"
    assert county_editor.api.post(f"/review/pieces/{piece_id}/forward", {
        "link_id": link_id(installs["county"], "upper")}).status_code == 409
    assert eventually(lambda: ("forwarded", "city") in outcomes(author, report_id))

    # At the city it is a report from the county's unit, its authors credited as text.
    city_report = arrived(city_editor, title)
    case = city_editor.api.get(f"/review/cases/{city_report}").json()
    assert case["from_office"] == LEVELS["county"] and case["credited"][0]["name"] == "author"
    assert "phone" not in json.dumps(case["credited"]) and "email" not in json.dumps(case)
    assert city_editor.api.post(f"/review/{city_report}/return", {"comment": "补充"}
                                ).status_code == 409  # not offered for a lower office's
    assert city_editor.api.post(f"/review/{city_report}/adopt", {}).status_code == 200
    assert eventually(lambda: ("upstream_adopted", "city") in outcomes(author, report_id),
                      timeout=30)

    # The city sends it on; the province adopts it and its governor instructs on it.
    city_piece = city_editor.api.get(f"/review/cases/{city_report}").json()["piece_id"]
    special = city_editor.api.get(f"/review/pieces/{city_piece}/docx")
    assert special.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(special.content)).paragraphs)
    assert "（author）" in text  # credited as the county credits them
    assert city_editor.api.post(f"/review/pieces/{city_piece}/forward", {
        "link_id": link_id(installs["city"], "upper")}).status_code == 202
    province_report = arrived(province_editor, title)
    assert province_editor.api.post(f"/review/{province_report}/adopt", {}).status_code == 200
    assert province_editor.api.post(f"/review/{province_report}/outcomes", {
        "kind": "instructed", "level": "province", "date": officetime.today().isoformat(),
        "leader": "副省长", "text": "请省水利厅研究"}).status_code == 200

    def county_saw_it_all():
        found = outcomes(author, report_id)
        return ("upstream_adopted", "province") in found and ("instructed", "province") in found
    assert eventually(county_saw_it_all, timeout=45, interval=0.3), outcomes(author, report_id)
    instruction = [o for o in author.api.get(f"/reports/{report_id}").json()["outcomes"]
                   if o["kind"] == "instructed"][0]
    assert instruction["leader"] == "副省长" and instruction["text"] == "请省水利厅研究"
    # Each arrived once, however the messages were retried.
    assert outcomes(author, report_id).count(("upstream_adopted", "province")) == 1
    # The author is told, and scored, as for any outcome.
    assert eventually(lambda: any("副省长" in n["title"] for n in author.api.get(
        "/notifications?page_size=100").json()["items"]), timeout=10)
    assert eventually(lambda: any(line["event"] == "instructed" and line["level"] == "province"
                                  for line in author.api.get(f"/scores/people/{author.id}")
                                  .json().get("lines", [])), timeout=10)
    # What comes by the link is not also typed in by hand at or above the link's level.
    assert county_editor.api.post(f"/review/{report_id}/outcomes", {
        "kind": "department_adopted", "level": "city",
        "date": officetime.today().isoformat()}).status_code == 409
    # Every link has delivered everything.
    for level in LEVELS:
        for state in installs[level].admin().get("/federation/links").json()["items"]:
            assert eventually(lambda: _state(installs[level], state["id"])["waiting"] == 0,
                              timeout=15), state
            assert _state(installs[level], state["id"])["parked"] == 0


def _state(install, wanted):
    return next(s for s in install.admin().get("/federation/links").json()["items"]
                if s["id"] == wanted)


def test_forged_old_replayed_and_misdirected_messages_change_nothing(chain):
    installs, secrets = chain
    city = installs["city"].base + "/api/v1/federation/inbound"
    secret = secrets["county-city"]
    message = {"id": str(uuid.uuid4()), "type": "piece", "piece_id": str(uuid.uuid4()),
               "seq": 1, "office": LEVELS["county"], "level": "county",
               "title": f"关于规范村级财务公开{uuid.uuid4().hex[:4]}的建议",
               "situation": "情况", "analysis": "分析", "suggestions": "建议",
               "category": "governance", "urgent": False, "consent_to_publish": True,
               "credited": [{"name": "李四", "unit": "农工党县委会"}]}

    def post(body, key="county-city", secret=secret, at=None):
        raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
        return requests.post(city, data=raw, timeout=10, headers={
            "Content-Type": "application/json", "X-Minyi-Link": key,
            "X-Minyi-Signature": signature(secret, raw, at)})

    assert post(message, secret="x" * 64).status_code == 401
    assert post(message, at=int(time.time()) - 400).status_code == 401
    assert post(message, key="nobody").status_code == 401
    # The city's upper link carries decisions down, not pieces up.
    assert post(message, key="city-province", secret=secrets["city-province"]
                ).status_code == 401
    refused = post({**message, "title": "短"})
    assert refused.status_code == 422 and "title" in refused.json()["errors"]
    assert post({**message, "seq": "many"}).status_code == 422
    first = post(message)
    assert first.status_code == 200 and first.json()["status"] == "accepted"
    again = post(message)
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    # A decision about a piece the county never sent up that link: 404.
    county = installs["county"].base + "/api/v1/federation/inbound"
    decision = {"id": str(uuid.uuid4()), "type": "decision", "piece_id": str(uuid.uuid4()),
                "seq": 1, "office": LEVELS["city"], "level": "city", "decision": "adopted",
                "mode": "single", "date": officetime.today().isoformat()}
    raw = json.dumps(decision).encode("utf-8")
    assert requests.post(county, data=raw, timeout=10, headers={
        "X-Minyi-Link": "county-city", "X-Minyi-Signature": signature(secret, raw)}
        ).status_code == 404
    too_big = b"{" + b" " * (256 * 1024 + 10) + b"}"
    assert requests.post(city, data=too_big, timeout=10, headers={
        "X-Minyi-Link": "county-city", "X-Minyi-Signature": signature(secret, too_big)}
        ).status_code == 413
    # The one accepted message made one report in the city's queue.
    _, city_editor = office(installs, "city")
    arrived(city_editor, message["title"])
    queue = city_editor.api.get("/review/queue?page_size=200").json()["items"]
    assert [i["title"] for i in queue].count(message["title"]) == 1


class Relay:
    """The road between two installs: passes each request on, or answers 503 while the
    upper install is "down" (an outage, a restart, an intranet gateway failing)."""

    def __init__(self, target: str):
        relay = self
        self.target, self.down, self.refused = target, True, 0

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if relay.down:
                    relay.refused += 1
                    self.send_response(503)
                    self.end_headers()
                    return
                answer = requests.post(relay.target + self.path, data=body, timeout=10,
                                       headers={k: v for k, v in self.headers.items()
                                                if k.lower().startswith(("x-minyi", "content-t"))})
                self.send_response(answer.status_code)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(answer.content)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def test_a_piece_sent_while_the_upper_install_is_down_arrives_once_when_it_is_back(chain):
    installs, _ = chain
    relay = Relay(installs["city"].base)
    try:
        key_id, secret = f"relay-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex * 2
        upper = installs["county"].admin().post("/federation/links", {
            "name": "某某市政协（内网）", "url": relay.url, "level": "city", "direction": "upper",
            "key_id": key_id, "secret": secret, "allow_private": True}).json()
        assert installs["city"].admin().post("/federation/links", {
            "name": f"某某县政协（内网）{key_id}", "url": installs["county"].base,
            "level": "county", "direction": "lower", "key_id": key_id, "secret": secret,
            "allow_private": True}).status_code == 201
        author, county_editor = office(installs, "county")
        _, city_editor = office(installs, "city")
        title = f"关于加强山塘水库巡查{uuid.uuid4().hex[:4]}的建议"
        report_id = author.api.post("/reports", dict(REPORT, title=title)).json()["id"]
        assert eventually(lambda: county_editor.api.post(f"/review/{report_id}/adopt", {})
                          .status_code == 200, timeout=10)
        piece_id = county_editor.api.get(f"/review/cases/{report_id}").json()["piece_id"]
        assert county_editor.api.post(f"/review/pieces/{piece_id}/forward",
                                      {"link_id": upper["id"]}).status_code == 202
        # While the city is away the message waits, tried again, and the link says why.
        assert eventually(lambda: relay.refused >= 2, timeout=20)
        state = _state(installs["county"], upper["id"])
        assert state["waiting"] == 1 and "503" in state["last_error"]
        relay.down = False
        arrived(city_editor, title)
        assert eventually(lambda: _state(installs["county"], upper["id"])["waiting"] == 0,
                          timeout=15)
        queue = city_editor.api.get("/review/queue?page_size=200").json()["items"]
        assert [i["title"] for i in queue].count(title) == 1
    finally:
        relay.close()
