"""The web app in a real browser (web/e2e/), run beside the other tests in a process of
its own (tests/browser_run.py): this test passes only when every browser test passed."""
import subprocess
import sys

from .browser_run import BROWSER
from .system import ROOT


def test_the_browser_tests_pass(amqp_uri, tmp_path):
    BROWSER.start(amqp_uri, str(tmp_path))  # unless they were started beside the rest
    code, output = BROWSER.finish()
    print(output[-3000:])
    print(f"screenshots: {BROWSER.shots}")
    failures = output.find("= FAILURES =")
    assert code == 0, output[failures:][:10000] if failures >= 0 else output[-10000:]
    assert " passed" in output and " failed" not in output


def test_what_the_browser_tests_import_leaves_sockets_unpatched():
    """The browser tests import tests.system (and through it minyi_common); if any of it
    monkey-patches for eventlet at import, Playwright hangs or the run refuses to start.
    This says so in a second instead of at the end of the browser run."""
    probe = ("import socket, tests.system, web.e2e.conftest  # noqa\n"
             "print(type(socket.socket).__module__, socket.socket.__module__)")
    run = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "eventlet" not in run.stdout, run.stdout
