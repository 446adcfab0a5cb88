"""``make run``: every service and the gateway as separate processes, in the foreground.

Ctrl-C or SIGTERM stops them all; if one dies, the others are stopped too.
"""
import os
import signal
import subprocess
import sys
import time
import urllib.request

from . import config
from .amqp import check_broker

ORDER = ("intake", "review", "scoring", "notify", "gateway")


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
    for name in ORDER:
        children[name] = subprocess.Popen([sys.executable, "-m", "minyi_common.serve", name])

    base = f"http://{settings.gateway_host}:{settings.gateway_port}"
    # Stop waiting as soon as we are asked to stop or a service has died.
    give_up = lambda: stopping or any(c.poll() is not None for c in children.values())  # noqa
    if wait_ready(base + "/readyz", time.monotonic() + 60, give_up):
        print(f"\nMinyi is running: {settings.web_url}/", flush=True)
        print(f"  API: {base}/api/v1  (docs: {base}/docs, health: {base}/readyz)", flush=True)
        user = os.environ.get("MINYI_ADMIN_USERNAME", "admin")
        if os.environ.get("MINYI_ADMIN_PASSWORD"):
            print(f"Development admin: {user} / {os.environ['MINYI_ADMIN_PASSWORD']}", flush=True)
        print("Press Ctrl-C to stop every service.\n", flush=True)
    elif not stopping:
        print("minyi: the system did not become ready within 60 s; see the log above",
              file=sys.stderr)

    exit_code = 0
    while children:
        for name, child in list(children.items()):
            code = child.poll()
            if code is None:
                continue
            del children[name]
            if not stopping:
                print(f"minyi: {name} exited with {code}; stopping the others", file=sys.stderr)
                exit_code = code or 1
                stop_all()
        time.sleep(0.2)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
