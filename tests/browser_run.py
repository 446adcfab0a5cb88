"""The browser tests (web/e2e/) as a pytest of their own, in a process without the
services' eventlet patching (Playwright's sync API hangs under it once an assertion
fails).

`make test` starts them as its first test begins (the root conftest), so that their
minute and a half runs beside the unit tests instead of after everything;
tests/test_web_app.py waits for them and passes only when every browser test passed.
A test that restarts the broker or PostgreSQL waits for them to finish first."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
E2E = os.path.join(ROOT, "web", "e2e")
NODE = "tests/test_web_app.py::test_the_browser_tests_pass"


class BrowserRun:
    def __init__(self):
        self.process = self.output = self.shots = None

    def start(self, amqp_uri: str, workdir: str) -> None:
        if self.process is not None:
            return
        self.shots = os.environ.get("MINYI_SCREENSHOTS") or os.path.join(workdir,
                                                                         "screenshots")
        self.output = os.path.join(workdir, "e2e-output.txt")
        with open(self.output, "wb") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "pytest", "-c", os.path.join(E2E, "pytest.ini"),
                 "--confcutdir", E2E, "--basetemp", os.path.join(workdir, "e2e"), "-q",
                 # The failing line and its error, not the whole journey's source: a
                 # failure's report has to fit in the part of the output CI keeps.
                 "--tb=short", E2E],
                cwd=E2E, stdout=output, stderr=subprocess.STDOUT,
                env={**os.environ, "AMQP_URI": amqp_uri, "MINYI_SCREENSHOTS": self.shots})

    def finish(self, timeout=600) -> tuple:
        """Wait for the run (if one was started): (exit code, what it printed)."""
        if self.process is None:
            return None, ""
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        with open(self.output, encoding="utf-8", errors="replace") as output:
            return code, output.read()


BROWSER = BrowserRun()
