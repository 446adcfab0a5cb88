"""`make bench`: the web app on a phone over a slow network, as Lighthouse measures it.

Lighthouse's mobile preset (simulated slow 4G, a CPU four times slower) loads /login
signed out, /reports/new as a member, and /reports and /review as an editor while 2,000
reports wait for review, against a system started like `make run` on loopback. Prints
each page's largest contentful paint against 2.5 s and its accessibility score against
95. Lighthouse is fetched by npx at the version pinned here (not a dependency of the
app); without npm or network it says so and measures nothing. BENCH_LIGHTHOUSE_KEEP=DIR
keeps Lighthouse's reports (JSON) in DIR.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests
from urllib.parse import urlparse

from tests.people import REPORT
from tests.system import Api, RunningSystem

LIGHTHOUSE = "lighthouse@12.8.2"
CHROMIUM = "/usr/bin/chromium"
WAITING = int(os.environ.get("BENCH_LIGHTHOUSE_REPORTS", "2000"))
LCP_TARGET_MS = 2500
A11Y_TARGET = 95



def fill_queue(system, count: int) -> tuple:
    """``count`` reports from 20 members waiting for review; the usernames of an editor
    to look at them and of a member to write one more."""
    admin = system.admin()
    suffix = uuid.uuid4().hex[:6]
    unit = admin.post("/units", {"name": f"测速单位{suffix}", "kind": "party"}).json()["id"]
    members = []
    for number in range(20):
        name = f"lh{number}{suffix}"
        assert admin.post("/users", {"username": name, "password": "password-123",
                                     "display_name": f"委员{number}", "roles": ["member"],
                                     "unit_ids": [unit]}).status_code == 201
        members.append(Api(system.base).login(name, "password-123"))
    assert admin.post("/users", {"username": f"lhed{suffix}", "password": "password-123",
                                 "display_name": "编辑", "roles": ["editor"]}).status_code == 201

    def submit(index):
        answer = members[index % 20].post("/reports", dict(REPORT, title=f"{REPORT['title']}{index}"))
        assert answer.status_code == 201, answer.text
    with ThreadPoolExecutor(20) as pool:
        list(pool.map(submit, range(count)))
    editor = Api(system.base).login(f"lhed{suffix}", "password-123")
    for _ in range(600):
        if editor.get("/review/queue?page_size=1").json().get("total", 0) >= count:
            break
        time.sleep(0.1)
    return f"lhed{suffix}", f"lh0{suffix}"


def session_cookie(base: str, username: str) -> str:
    answer = requests.post(f"{base}/api/v1/auth/login", json={
        "username": username, "password": "password-123", "session": True})
    assert answer.status_code == 200, answer.text
    return f"minyi_session={answer.cookies['minyi_session']}"


def lighthouse(url: str, cookie: str | None, out_dir: str) -> tuple:
    """(largest contentful paint in ms, accessibility score) of one page."""
    name = urlparse(url).path.strip("/").replace("/", "-") or "index"
    os.makedirs(out_dir, exist_ok=True)
    out = os.path.join(out_dir, f"lighthouse-{name}.json")
    command = ["npx", "--yes", LIGHTHOUSE, url, "--quiet", "--output=json",
               f"--output-path={out}", "--only-categories=performance,accessibility",
               "--chrome-flags=--headless=new --no-sandbox --disable-gpu"]
    if cookie:
        command.append(f"--extra-headers={json.dumps({'Cookie': cookie})}")
    subprocess.run(command, check=True, timeout=300, env={**os.environ, "CHROME_PATH": CHROMIUM},
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(out) as handle:
        result = json.load(handle)
    return (result["audits"]["largest-contentful-paint"]["numericValue"],
            round(result["categories"]["accessibility"]["score"] * 100))


def main() -> int:
    if not shutil.which("npx") or not os.path.exists(CHROMIUM):
        print("lighthouse: needs npx and Chromium at /usr/bin/chromium; not measured",
              file=sys.stderr)
        return 0
    amqp = os.environ.get("AMQP_URI", "amqp://guest:guest@localhost:5672/")
    with tempfile.TemporaryDirectory() as data:
        system = RunningSystem(amqp, data).start(timeout=90)
        try:
            editor, member = fill_queue(system, WAITING)
            cookies = {None: None, "editor": session_cookie(system.base, editor),
                       "member": session_cookie(system.base, member)}
            for path, who in (("/login", None), ("/reports/new", "member"),
                              ("/reports", "editor"), ("/review", "editor")):
                lcp, a11y = lighthouse(f"{system.base}{path}", cookies[who],
                                       os.environ.get("BENCH_LIGHTHOUSE_KEEP") or data)
                print(f"lighthouse (mobile, slow 4G, 4x CPU): {path:<13} LCP {lcp:6.0f} ms "
                      f"({lcp / LCP_TARGET_MS:.2f}x of {LCP_TARGET_MS} ms), accessibility "
                      f"{a11y} (target ≥ {A11Y_TARGET})")
        finally:
            system.stop()
            system.cleanup_broker()
    return 0


if __name__ == "__main__":
    sys.exit(main())
