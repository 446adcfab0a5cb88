"""The web app in a real browser (web/e2e/): run as a pytest of its own, in a process
without the services' eventlet patching, under which Playwright's sync API hangs as
soon as an assertion fails. This test passes only when every browser test passed."""
import os
import subprocess
import sys

from .system import ROOT


def test_the_browser_tests_pass(amqp_uri, tmp_path):
    shots = os.environ.get("MINYI_SCREENSHOTS") or str(tmp_path / "screenshots")
    e2e = os.path.join(ROOT, "web", "e2e")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", os.path.join(e2e, "pytest.ini"),
         "--confcutdir", e2e, "--basetemp", str(tmp_path / "e2e"), "-q", e2e],
        cwd=e2e, capture_output=True, text=True, timeout=540,
        env={**os.environ, "AMQP_URI": amqp_uri, "MINYI_SCREENSHOTS": shots})
    print(run.stdout[-3000:])
    print(f"screenshots: {shots}")
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-3000:]
    assert " passed" in run.stdout and " failed" not in run.stdout


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
