"""`make bench`: what the web app costs a person.

Prints the gzip size of the JavaScript and CSS that the login page loads (target 250 KB)
and of the heaviest page (target 600 KB), from Vite's build manifest; then the time from
clicking 登录 to the desk being shown, median of BENCH_LOGINS (20) in headless Chromium
against a system started like `make run` on loopback.
"""
import gzip
import json
import os
import statistics
import sys
import tempfile
import time
import uuid

from tests.system import ROOT, Api, RunningSystem

DIST = os.path.join(ROOT, "web", "dist")
CHROMIUM = "/usr/bin/chromium"


def gzip_size(path: str) -> int:
    with open(os.path.join(DIST, path), "rb") as handle:
        return len(gzip.compress(handle.read(), compresslevel=9))


def page_weight(manifest: dict, entry: str, extra: str | None = None) -> int:
    """Gzipped bytes of a chunk, everything it imports statically, and their CSS."""
    seen, files = set(), set()

    def walk(key):
        if key in seen:
            return
        seen.add(key)
        chunk = manifest[key]
        files.add(chunk["file"])
        files.update(chunk.get("css", []))
        for imported in chunk.get("imports", []):
            walk(imported)
    walk(entry)
    if extra:
        walk(extra)
    return sum(gzip_size(f) for f in files)


def bundle_sizes() -> None:
    with open(os.path.join(DIST, ".vite", "manifest.json")) as handle:
        manifest = json.load(handle)
    entry = next(k for k, v in manifest.items() if v.get("isEntry"))
    views = [k for k in manifest if k.startswith("src/views/")]
    login = page_weight(manifest, entry, "src/views/LoginView.vue")
    weights = {v.split("/")[-1]: page_weight(manifest, entry, v) for v in views}
    heaviest = max(weights, key=weights.get)
    print(f"web: /login loads {login / 1024:6.1f} KB gzip (target 250 KB, "
          f"{login / (250 * 1024):.2f}x)")
    print(f"web: heaviest page {heaviest} {weights[heaviest] / 1024:6.1f} KB gzip "
          f"(target 600 KB, {weights[heaviest] / (600 * 1024):.2f}x)")


def login_to_desk(rounds: int) -> None:
    from playwright.sync_api import sync_playwright
    amqp = os.environ.get("AMQP_URI", "amqp://guest:guest@localhost:5672/")
    with tempfile.TemporaryDirectory() as data:
        system = RunningSystem(amqp, data).start(timeout=90)
        try:
            admin = system.admin()
            name = f"bench{uuid.uuid4().hex[:6]}"
            assert admin.post("/users", {"username": name, "password": "password-123",
                                         "display_name": "测速", "roles": ["member"]}
                              ).status_code == 201
            Api(system.base).login(name, "password-123")
            timings = []
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM,
                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
                for _ in range(rounds):
                    # bypass_csp: the frame-by-frame check below is evaluated script.
                    context = browser.new_context(bypass_csp=True)
                    page = context.new_page()
                    page.goto(f"{system.base}/login")
                    page.get_by_label("用户名").fill(name)
                    page.get_by_label("密码").fill("password-123")
                    started = time.perf_counter()
                    page.get_by_role("button", name="登录").click()
                    # Checked every animation frame: Playwright's own waiting polls at
                    # growing intervals (up to 500 ms) and would measure its own pauses.
                    page.wait_for_function("() => document.body.innerText.includes('年报送进度')",
                                           polling="raf")
                    timings.append(time.perf_counter() - started)
                    context.close()
                browser.close()
        finally:
            system.stop()
            system.cleanup_broker()
    ms = sorted(t * 1000 for t in timings)
    print(f"web: 登录 click → desk shown, median of {rounds}: {statistics.median(ms):6.1f} ms "
          f"(min {ms[0]:.1f}, max {ms[-1]:.1f})")


def main() -> int:
    if not os.path.exists(os.path.join(DIST, ".vite", "manifest.json")):
        print("web: build the app first (make web)", file=sys.stderr)
        return 1
    bundle_sizes()
    login_to_desk(int(os.environ.get("BENCH_LOGINS", "20")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
