"""The browser's way in (docs/web.md): a cookie session beside Bearer tokens, the CSRF
header, logout on the server, and the web app's files with their caching and security
headers. A gateway container alone answers all of these."""
import gzip
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from gateway.service import GatewayService
from tests.system import Api, free_port

ADMIN = ("root", "root-password-1")
CSRF = {"X-Requested-With": "minyi"}


@pytest.fixture
def dist(tmp_path, monkeypatch):
    """A stand-in for web/dist, so that these tests do not need a Node build."""
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html><title>民意</title><div id=app></div>",
                                     encoding="utf-8")
    (root / "assets" / "index-AbC123.js").write_text("console.log('app')")
    (root / "favicon.svg").write_text("<svg/>")
    monkeypatch.setenv("MINYI_WEB_DIST", str(root))
    return root


def start_gateway(container_factory, service_config, monkeypatch, **overrides):
    monkeypatch.setenv("MINYI_ADMIN_USERNAME", ADMIN[0])
    monkeypatch.setenv("MINYI_ADMIN_PASSWORD", ADMIN[1])
    port = free_port()
    container = container_factory(GatewayService, service_config(
        "gateway", gateway_port=port, **overrides))
    container.start()
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def gateway(container_factory, service_config, monkeypatch, dist):
    return start_gateway(container_factory, service_config, monkeypatch)


def session_login(base: str) -> requests.Session:
    browser = requests.Session()
    answer = browser.post(f"{base}/api/v1/auth/login",
                          json={"username": ADMIN[0], "password": ADMIN[1], "session": True})
    assert answer.status_code == 200, answer.text
    return browser, answer


def test_a_session_login_sets_an_httponly_strict_cookie_and_answers_no_token(gateway):
    browser, answer = session_login(gateway)
    assert "access_token" not in answer.json()
    assert answer.json()["user"]["username"] == ADMIN[0]
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("minyi_session=")
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "path", "max-age"} <= attributes
    assert "samesite=strict" in cookie.lower()
    assert "secure" not in attributes  # plain http on loopback: a Secure cookie would never come back
    assert browser.get(f"{gateway}/api/v1/me").json()["username"] == ADMIN[0]
    assert browser.get(f"{gateway}/api/v1/auth/session").json()["user"]["username"] == ADMIN[0]


def test_state_changes_from_the_cookie_need_the_csrf_header(gateway):
    browser, _ = session_login(gateway)
    unit = {"name": "农工党县委会", "kind": "party"}
    refused = browser.post(f"{gateway}/api/v1/units", json=unit)
    assert refused.status_code == 403
    assert refused.headers["Content-Type"].startswith("application/problem+json")
    assert "X-Requested-With" in refused.json()["detail"]
    # Nothing was stored by the refused request.
    names = [u["name"] for u in browser.get(f"{gateway}/api/v1/units").json()["items"]]
    assert unit["name"] not in names
    assert browser.post(f"{gateway}/api/v1/units", json=unit, headers=CSRF).status_code == 201
    # The session answer names every unit, so that a page load asks once, not twice.
    answer = browser.get(f"{gateway}/api/v1/auth/session").json()
    assert unit["name"] in [u["name"] for u in answer["units"]]
    assert "units" not in requests.get(f"{gateway}/api/v1/auth/session").json()  # signed out


def test_logout_ends_the_session_on_the_server(gateway):
    browser, _ = session_login(gateway)
    stolen = browser.cookies.get("minyi_session")
    assert browser.post(f"{gateway}/api/v1/auth/logout").status_code == 403  # no CSRF header
    ended = browser.post(f"{gateway}/api/v1/auth/logout", headers=CSRF)
    assert ended.status_code == 200 and ended.json() == {"ended": True}
    assert "minyi_session=;" in ended.headers["Set-Cookie"] or "Max-Age=0" in ended.headers["Set-Cookie"]
    # The old cookie, replayed by someone who kept it, no longer opens anything.
    replay = requests.get(f"{gateway}/api/v1/me", cookies={"minyi_session": stolen})
    assert replay.status_code == 401
    assert requests.get(f"{gateway}/api/v1/auth/session",
                        cookies={"minyi_session": stolen}).json()["user"] is None


def test_a_password_change_ends_browser_sessions(gateway):
    admin = Api(gateway).login(*ADMIN)
    person = admin.post("/users", {"username": "zhou", "password": "password-123",
                                   "display_name": "周", "roles": ["member"]}).json()
    browser = requests.Session()
    assert browser.post(f"{gateway}/api/v1/auth/login", json={
        "username": "zhou", "password": "password-123", "session": True}).status_code == 200
    assert browser.get(f"{gateway}/api/v1/me").status_code == 200
    assert admin.patch(f"/users/{person['id']}", {"password": "another-pass-9"}).status_code == 200
    assert browser.get(f"{gateway}/api/v1/me").status_code == 401


def test_bearer_tokens_work_as_before_and_win_over_a_cookie(gateway):
    admin = Api(gateway).login(*ADMIN)
    assert admin.get("/me").json()["username"] == ADMIN[0]
    # A Bearer client needs no CSRF header: no browser sends its token by itself.
    assert admin.post("/units", {"name": "民盟县委会", "kind": "party"}).status_code == 201
    bad = requests.get(f"{gateway}/api/v1/me", headers={"Authorization": "Bearer nonsense"},
                       cookies={"minyi_session": "also-nonsense"})
    assert bad.status_code == 401


def test_concurrent_callers_are_each_themselves_and_a_disabled_one_is_refused_at_once(gateway):
    """Who is calling is read for concurrent requests together (gateway/gather.py): each
    request is still answered as its own caller, and a read never predates its request."""
    admin = Api(gateway).login(*ADMIN)
    people = {}
    for n in range(6):
        name = f"caller{n}"
        people[name] = admin.post("/users", {"username": name, "password": "password-123",
                                             "display_name": f"来访{n}", "roles": ["member"]}
                                  ).json()["id"]
    tokens = {name: Api(gateway).login(name, "password-123") for name in list(people)[:3]}
    browsers = {}
    for name in list(people)[3:]:
        browser = requests.Session()
        assert browser.post(f"{gateway}/api/v1/auth/login", json={
            "username": name, "password": "password-123", "session": True}).status_code == 200
        browsers[name] = browser

    def who(name):
        if name in tokens:
            return name, tokens[name].get("/me")
        return name, browsers[name].get(f"{gateway}/api/v1/me")
    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(who, [name for name in people for _ in range(8)]))
    assert all(a.status_code == 200 and a.json()["username"] == name for name, a in answers)

    for name in ("caller0", "caller3"):  # a bearer client and a browser
        assert admin.patch(f"/users/{people[name]}", {"active": False}).status_code == 200
    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(who, [name for name in people for _ in range(4)]))
    for name, answer in answers:
        if name in ("caller0", "caller3"):
            assert answer.status_code == 401, (name, answer.text)
        else:
            assert answer.status_code == 200 and answer.json()["username"] == name


def test_a_wrong_password_gives_no_session(gateway):
    answer = requests.post(f"{gateway}/api/v1/auth/login", json={
        "username": ADMIN[0], "password": "wrong-password", "session": True})
    assert answer.status_code == 401 and "Set-Cookie" not in answer.headers
    bad_flag = requests.post(f"{gateway}/api/v1/auth/login", json={
        "username": ADMIN[0], "password": ADMIN[1], "session": "yes"})
    assert bad_flag.status_code == 422 and "session" in bad_flag.json()["errors"]


def test_the_cookie_is_secure_when_the_public_url_is_https(container_factory, service_config,
                                                            monkeypatch, dist):
    base = start_gateway(container_factory, service_config, monkeypatch,
                         public_url="https://minyi.example.org")
    _, answer = session_login(base)
    assert "secure" in {p.strip().lower() for p in answer.headers["Set-Cookie"].split(";")}


def test_people_search_shows_names_and_units_and_no_contact_details(gateway):
    admin = Api(gateway).login(*ADMIN)
    unit = admin.post("/units", {"name": "九三学社县委会", "kind": "party"}).json()
    admin.post("/users", {"username": "wuming", "password": "password-123",
                          "display_name": "吴明", "roles": ["member"], "unit_ids": [unit["id"]],
                          "email": "wu@example.org", "phone": "13800000000"})
    member = Api(gateway).login("wuming", "password-123")
    found = member.get("/people?q=吴").json()
    assert found["total"] == 1
    assert found["items"] == [{"id": found["items"][0]["id"], "display_name": "吴明",
                               "unit_ids": [unit["id"]], "unit_names": ["九三学社县委会"]}]
    by_id = member.get(f"/people?ids={found['items'][0]['id']}").json()
    assert [p["display_name"] for p in by_id["items"]] == ["吴明"]
    assert requests.get(f"{gateway}/api/v1/people?q=吴").status_code == 401


def test_people_one_may_enter_reports_for_are_the_authors_of_ones_units(gateway):
    """代录: an editor picks any author; a unit admin the people of their units; a
    member nobody; editors and admins, who write no reports, are never offered."""
    admin = Api(gateway).login(*ADMIN)
    ours = admin.post("/units", {"name": "农工党县委会", "kind": "party"}).json()["id"]
    theirs = admin.post("/units", {"name": "民盟县委会", "kind": "party"}).json()["id"]
    for username, name, roles, units in (
            ("zhoujie", "周洁", ["member"], [ours]), ("qianli", "钱立", ["officer"], [theirs]),
            ("clerkzhou", "周管理", ["unit_admin"], [ours]), ("zhoubian", "周编辑", ["editor"], [])):
        assert admin.post("/users", {"username": username, "password": "password-123",
                                     "display_name": name, "roles": roles,
                                     "unit_ids": units}).status_code == 201
    editor = Api(gateway).login("zhoubian", "password-123")
    clerk = Api(gateway).login("clerkzhou", "password-123")
    member = Api(gateway).login("zhoujie", "password-123")

    def names(api, query=""):
        return [p["display_name"] for p in api.get(f"/people?for_entry=true{query}").json()["items"]]
    assert {"周洁", "钱立", "周管理"} <= set(names(editor)) and "周编辑" not in names(editor)
    assert names(editor, "&q=周") == ["周洁", "周管理"]
    assert names(clerk) == ["周洁", "周管理"]
    assert names(member) == []
    page = editor.get("/people?for_entry=true&q=周&page_size=1&page=2").json()
    assert (page["total"], [p["display_name"] for p in page["items"]]) == (2, ["周管理"])


def test_the_app_goes_compressed_as_the_browser_accepts(gateway, dist):
    source = "console.log('民意');" * 200
    (dist / "assets" / "big-X1.js").write_text(source, encoding="utf-8")
    (dist / "assets" / "big-X1.js.gz").write_bytes(gzip.compress(source.encode()))
    (dist / "assets" / "big-X1.js.br").write_bytes(b"brotli bytes")  # as the build made them
    url = f"{gateway}/assets/big-X1.js"
    plain = requests.get(url, headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers and plain.text == source
    assert plain.headers["Vary"] == "Accept-Encoding"
    zipped = requests.get(url, headers={"Accept-Encoding": "gzip, deflate"})
    assert zipped.headers["Content-Encoding"] == "gzip" and zipped.text == source
    assert zipped.headers["Content-Type"].startswith(("application/javascript", "text/javascript"))
    assert "immutable" in zipped.headers["Cache-Control"]
    best = requests.get(url, headers={"Accept-Encoding": "gzip, br"}, stream=True)
    assert best.headers["Content-Encoding"] == "br" and best.raw.read() == b"brotli bytes"
    refused = requests.get(url, headers={"Accept-Encoding": "br;q=0, gzip;q=0.5"})
    assert refused.headers["Content-Encoding"] == "gzip"
    # A file the build did not compress goes as it is.
    small = requests.get(f"{gateway}/favicon.svg", headers={"Accept-Encoding": "gzip, br"})
    assert "Content-Encoding" not in small.headers and small.text == "<svg/>"


def test_long_json_answers_to_gets_go_gzipped(gateway):
    admin = Api(gateway).login(*ADMIN)
    for number in range(12):  # enough accounts for a list longer than COMPRESS_FROM
        admin.post("/users", {"username": f"gz{number}", "password": "password-123",
                              "display_name": f"压缩{number}", "roles": ["member"]})
    url = f"{gateway}/api/v1/users?page_size=50"
    headers = {"Authorization": f"Bearer {admin.token}"}
    raw = requests.get(url, headers={**headers, "Accept-Encoding": "identity"}, stream=True)
    body = raw.raw.read()
    assert "Content-Encoding" not in raw.headers and len(body) >= 1400
    zipped = requests.get(url, headers={**headers, "Accept-Encoding": "gzip"}, stream=True)
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    assert gzip.decompress(zipped.raw.read()) == body
    # Short answers and answers to anything but GET go as they are.
    short = requests.get(f"{gateway}/healthz", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in short.headers
    made = requests.post(f"{gateway}/api/v1/units", headers={**headers, "Accept-Encoding": "gzip"},
                         json={"name": "压缩测试单位" * 3, "kind": "party"})
    assert made.status_code == 201 and "Content-Encoding" not in made.headers


def test_the_web_app_is_served_with_caching_and_security_headers(gateway, dist):
    index = requests.get(f"{gateway}/")
    assert index.status_code == 200 and "<div id=app>" in index.text
    assert index.headers["Cache-Control"] == "no-cache"
    csp = index.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert index.headers["X-Content-Type-Options"] == "nosniff"
    assert index.headers["X-Frame-Options"] == "DENY"
    assert index.headers["Referrer-Policy"]
    asset = requests.get(f"{gateway}/assets/index-AbC123.js")
    assert asset.status_code == 200 and "immutable" in asset.headers["Cache-Control"]
    assert asset.headers["Content-Type"].startswith(("application/javascript", "text/javascript"))
    # A deep link from a notice answers the app, which shows the page.
    deep = requests.get(f"{gateway}/reports/4f1c7a0e/edit")
    assert deep.status_code == 200 and deep.text == index.text
    assert deep.headers["Cache-Control"] == "no-cache"
    # The API's unknown paths stay problem+json; a missing asset is a real 404.
    unknown = requests.get(f"{gateway}/api/v1/no/such/thing")
    assert unknown.status_code == 404
    assert unknown.headers["Content-Type"].startswith("application/problem+json")
    assert requests.get(f"{gateway}/assets/gone-123.js").status_code == 404
    assert requests.get(f"{gateway}/../../etc/passwd").status_code in (200, 404)
    assert "root:" not in requests.get(f"{gateway}/..%2F..%2Fetc%2Fpasswd").text
    # Headers on the API too, and the docs page runs without inline script.
    assert requests.get(f"{gateway}/healthz").headers["X-Frame-Options"] == "DENY"
    docs = requests.get(f"{gateway}/docs")
    assert "<script>" not in docs.text and "/docs/static/init.js" in docs.text
    assert requests.get(f"{gateway}/docs/static/init.js").status_code == 200


def test_without_a_build_the_root_says_how_to_build_it(container_factory, service_config,
                                                       monkeypatch, tmp_path):
    monkeypatch.setenv("MINYI_WEB_DIST", str(tmp_path / "nothing-here"))
    base = start_gateway(container_factory, service_config, monkeypatch)
    page = requests.get(f"{base}/reports")
    assert page.status_code == 200 and "make run" in page.text and "网页端尚未构建" in page.text


def test_the_web_apps_words_are_the_servers():
    """web/src/api/words.ts is generated from minyi_common/words.py and the roles table; a
    word or a role changed without generating it again fails here."""
    import os

    from gateway import export_words
    from tests.system import ROOT

    with open(os.path.join(ROOT, "web", "src", "api", "words.ts"), encoding="utf-8") as handle:
        assert handle.read() == export_words.render(), (
            "regenerate: .venv/bin/python -m gateway.export_words web/src/api/words.ts")


def test_the_web_apps_api_types_match_the_openapi_document():
    """web/openapi.json and web/src/api/schema.d.ts are generated from the routes; a route
    or schema changed without regenerating them fails here (and the types would drift)."""
    import json
    import os
    import shutil
    import subprocess

    from gateway import openapi
    from tests.system import ROOT

    web = os.path.join(ROOT, "web")
    with open(os.path.join(web, "openapi.json"), encoding="utf-8") as handle:
        committed = json.load(handle)
    assert committed == json.loads(json.dumps(openapi.document(GatewayService))), (
        "regenerate: .venv/bin/python -m gateway.export_openapi web/openapi.json "
        "&& (cd web && npm run gen:api)")
    tool = os.path.join(web, "node_modules", ".bin", "openapi-typescript")
    if not os.path.exists(tool) or not shutil.which("node"):
        pytest.fail("web/node_modules is missing: `make test` runs npm ci first", pytrace=False)
    # The same command as the web app's own script (gen:api), to standard output.
    with open(os.path.join(web, "package.json"), encoding="utf-8") as handle:
        words = json.load(handle)["scripts"]["gen:api"].split()
    output = words.index("-o")
    options = [w for i, w in enumerate(words[1:], 1) if i not in (output, output + 1)]
    fresh = subprocess.run([tool, *options], cwd=web, capture_output=True, text=True,
                           timeout=120)
    assert fresh.returncode == 0, fresh.stderr
    with open(os.path.join(web, "src", "api", "schema.d.ts"), encoding="utf-8") as handle:
        assert handle.read() == fresh.stdout, "regenerate: cd web && npm run gen:api"


def test_a_page_names_its_own_files_for_the_browser_to_fetch_at_once(gateway, dist):
    """The build's table of each page's files (.vite/pages.json) goes into the HTML of
    that page: matched as the app's router matches, /login's for a page that needs a
    session asked for without one, nothing for an unknown path."""
    (dist / "index.html").write_text("<!doctype html><head><title>民意</title></head>"
                                     "<div id=app></div>", encoding="utf-8")
    (dist / ".vite").mkdir()
    (dist / ".vite" / "pages.json").write_text(json.dumps([
        {"path": "/login", "public": True, "modules": ["assets/Login-1.js"], "styles": []},
        {"path": "/reports/:id", "public": False, "modules": ["assets/Report-1.js"],
         "styles": ["assets/Report-1.css"]},
        {"path": "/reports/new", "public": False, "modules": ["assets/Form-1.js"], "styles": []},
        {"path": "/:rest(.*)*", "public": False, "modules": ["assets/Missing-1.js"],
         "styles": []}]), encoding="utf-8")
    cookie = {"minyi_session": "any"}  # the page's files are public; the API checks it
    form = requests.get(f"{gateway}/reports/new", cookies=cookie)
    assert form.status_code == 200 and form.headers["Cache-Control"] == "no-cache"
    assert '<link rel="modulepreload" crossorigin href="/assets/Form-1.js"></head>' in form.text
    assert "Report-1" not in form.text and "<div id=app>" in form.text
    report = requests.get(f"{gateway}/reports/4f1c7a0e", cookies=cookie,
                          headers={"Accept-Encoding": "gzip"})
    assert report.headers["Content-Encoding"] == "gzip"
    assert '<link rel="preload" as="style" crossorigin href="/assets/Report-1.css">' \
        in report.text and "/assets/Report-1.js" in report.text
    signed_out = requests.get(f"{gateway}/reports/new").text
    assert "/assets/Login-1.js" in signed_out and "Form-1" not in signed_out
    for plain in ("/reports/4f1c7a0e/extra", "/no/such/page"):
        assert "modulepreload" not in requests.get(f"{gateway}{plain}", cookies=cookie).text
    # A new build's table is read again.
    (dist / ".vite" / "pages.json").write_text(json.dumps([
        {"path": "/reports/new", "public": False, "modules": ["assets/Form-2.js"],
         "styles": []}]), encoding="utf-8")
    assert "/assets/Form-2.js" in requests.get(f"{gateway}/reports/new", cookies=cookie).text
