"""``make run``: every service and the gateway as separate processes, in the foreground.

Ctrl-C or SIGTERM stops them all. Once the system has been ready, a process that exits
is started again after a growing pause (1 s doubling to 30 s; back to 1 s after a minute
up), with a line saying so, and the others keep running: a broker restart or a crash
costs seconds, not an outage. One that fails before the system was ever ready (a wrong
setting, a missing database) stops everything, with its own one-line reason above.
"""
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request

from . import config
from .amqp import check_broker

ORDER = ("intake", "review", "scoring", "notify", "gateway")
MAX_PAUSE = 30
STABLE_AFTER = 60.0


def wait_ready(url: str, deadline: float, give_up=lambda: False) -> bool:
    while time.monotonic() < deadline and not give_up():
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return True
        except Exception:
            pass
        time.sleep(0.3)
    return False


def main() -> int:
    # The gateway signs principals and the services check them (minyi_common.principals):
    # one key per launch unless the environment brings one.
    os.environ.setdefault("MINYI_PRINCIPAL_KEY", secrets.token_hex(32))
    settings = config.load("gateway")
    problem = check_broker(settings.amqp_uri)
    if problem:
        print(f"minyi: {problem}", file=sys.stderr)
        return 2
    os.makedirs(config.data_dir(), exist_ok=True)
    children = {}
    stopping = False

    def stop_all(*_):
        nonlocal stopping
        stopping = True
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGINT, stop_all)
    signal.signal(signal.SIGTERM, stop_all)
    def start(name, again=False):
        # Started again after the system was ready: the broker may be the reason it died
        # (a restart), so it waits for it instead of failing at once.
        env = {**os.environ, "MINYI_BROKER_WAIT": os.environ.get("MINYI_BROKER_WAIT", "120")} \
            if again else None
        return subprocess.Popen([sys.executable, "-m", "minyi_common.serve", name], env=env)

    for name in ORDER:
        children[name] = start(name)

    base = f"http://{settings.gateway_host}:{settings.gateway_port}"
    # Stop waiting as soon as we are asked to stop or a service has died.
    give_up = lambda: stopping or any(c.poll() is not None for c in children.values())  # noqa
    ready = wait_ready(base + "/readyz", time.monotonic() + 60, give_up)
    if ready:
        print(f"\nMinyi is running: {settings.web_url}/", flush=True)
        print(f"  API: {base}/api/v1  (docs: {base}/docs, health: {base}/readyz)", flush=True)
        user = os.environ.get("MINYI_ADMIN_USERNAME", "admin")
        if os.environ.get("MINYI_ADMIN_PASSWORD"):
            print(f"Development admin: {user} / {os.environ['MINYI_ADMIN_PASSWORD']}", flush=True)
        print("Press Ctrl-C to stop every service.\n", flush=True)
    elif not give_up():  # a service that died says so itself, just below
        print("minyi: the system did not become ready within 60 s; see the log above",
              file=sys.stderr)

    exit_code = 0
    restarts = {}  # name → (failures in a row, when it may start again, when it started)
    while children:
        now = time.monotonic()
        for name, child in list(children.items()):
            code = child.poll()
            if code is None:
                failures, _, started = restarts.get(name, (0, 0, now))
                if failures and now - started > STABLE_AFTER:
                    restarts[name] = (0, 0, started)  # up long enough: it recovered
                continue
            if stopping:
                del children[name]
                continue
            if not ready:
                del children[name]
                print(f"minyi: {name} exited with {code}; stopping the others",
                      file=sys.stderr)
                exit_code = code or 1
                stop_all()
                continue
            failures, due, _ = restarts.get(name, (0, 0, now))
            if due == 0:
                pause = min(MAX_PAUSE, 2 ** failures)
                print(f"minyi: {name} exited with {code}; starting it again in {pause} s",
                      file=sys.stderr, flush=True)
                restarts[name] = (failures + 1, now + pause, now)
            elif now >= due:
                children[name] = start(name, again=True)
                restarts[name] = (failures, 0, now)
        time.sleep(0.2)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
