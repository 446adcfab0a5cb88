"""Fixtures of the browser tests: the whole system started like `make run` (with the
built web app), and Debian's Chromium driven by Playwright."""
import os

import pytest
from kombu import Connection

from tests.system import ROOT, running_system

CHROMIUM = "/usr/bin/chromium"
DIST = os.path.join(ROOT, "web", "dist", "index.html")


def pytest_configure(config):
    import socket
    if "eventlet" in type(socket.socket).__module__ or "eventlet" in socket.socket.__module__:
        raise pytest.UsageError("the browser tests must not run under eventlet's patching "
                                "(the project's root conftest.py): pass --confcutdir web/e2e")


@pytest.fixture(scope="session")
def amqp_uri():
    uri = os.environ.get("AMQP_URI", "amqp://guest:guest@localhost:5672/")
    try:
        with Connection(uri, connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception as exc:
        pytest.fail(f"The browser tests need RabbitMQ at {uri}: {exc}", pytrace=False)
    return uri


@pytest.fixture(scope="session")
def system(amqp_uri, tmp_path_factory):
    with running_system(amqp_uri, str(tmp_path_factory.mktemp("minyi"))) as running:
        yield running


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium: Playwright's own browsers cannot be downloaded here. `make test`
    installs the package; without it the browser tests fail, they never skip."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"The browser tests need Chromium at {CHROMIUM}: apt-get install chromium "
                    "fonts-noto-cjk (make test does it as root).", pytrace=False)
    return {**browser_type_launch_args, "executable_path": CHROMIUM,
            # The machine has no outside network: keep Chromium from reaching for it.
            "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run",
                     "--disable-quic"]}


@pytest.fixture(scope="session", autouse=True)
def built_app():
    if not os.path.exists(DIST):
        pytest.fail("web/dist is missing: `make test` builds the web app first "
                    "(or run `cd web && npm ci && npm run build`).", pytrace=False)
