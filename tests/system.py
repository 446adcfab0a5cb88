"""Start the whole system the way `make run` does, and talk to it over HTTP."""
import contextlib
import json
import os
import pathlib
import signal
import subprocess
import sys
import time
import uuid

import requests
from kombu import Connection

from minyi_common import topology
from minyi_common.testing import DatabaseMaker, SmtpServer, free_port, race

from .fake_sms import FakeSms
from .fake_wecom import FakeWeCom

# The approved template of each kind of SMS the test office sends (the rest: "*").
SMS_TEMPLATES = {"returned": "SMS_RETURNED", "login_code": "SMS_LOGIN", "*": "SMS_NOTICE"}

SERVICES = ("gateway", "intake", "review", "scoring", "notify")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ADMIN_PASSWORD = "admin-pass-123"


def _chinese(text) -> bool:
    return isinstance(text, str) and any("\u4e00" <= ch <= "\u9fff" for ch in text)


def assert_speaks_chinese(problem: dict) -> None:
    """docs/office.md: every problem a person may read is Chinese and has a stable code. Every
    system test checks every problem it meets, so a new English text fails somewhere."""
    assert problem.get("code"), problem
    assert _chinese(problem["title"]) and _chinese(problem["detail"]), problem

    def walk(errors):
        if isinstance(errors, dict):
            for value in errors.values():
                walk(value)
        elif isinstance(errors, list):
            for value in errors:
                walk(value)
        else:
            assert _chinese(errors), problem
    walk(problem.get("errors") or {})


class Api:
    """A small HTTP client for /api/v1 (nameko's web_session fixture breaks on Werkzeug 3)."""

    def __init__(self, base: str, token: str | None = None):
        self.base, self.token = base, token
        self.http = requests.Session()

    def call(self, method, path, json=None, headers=None, **kwargs):
        headers = dict(headers or {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        url = path if path.startswith("http") else self.base + "/api/v1" + path
        answer = self.http.request(method, url, json=json, headers=headers, timeout=30, **kwargs)
        if answer.headers.get("Content-Type", "").startswith("application/problem+json") \
                and "Accept-Language" not in headers:
            assert_speaks_chinese(answer.json())
        return answer

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, json=None, **kw):
        return self.call("POST", path, json=json, **kw)

    def put(self, path, json=None, **kw):
        return self.call("PUT", path, json=json, **kw)

    def patch(self, path, json=None, **kw):
        return self.call("PATCH", path, json=json, **kw)

    def delete(self, path, **kw):
        return self.call("DELETE", path, **kw)

    def login(self, username, password) -> "Api":
        answer = self.post("/auth/login", {"username": username, "password": password})
        assert answer.status_code == 200, answer.text
        return Api(self.base, answer.json()["access_token"])


def tail(path: str, lines=40) -> str:
    """The last ``lines`` lines of a log file."""
    with open(path, "rb") as log:
        return b"\n".join(log.read().splitlines()[-lines:]).decode("utf-8", "replace")


class RunningSystem:
    """`python -m minyi_common.launcher` in a process group of its own.

    ``urls``: {service: database URL} (default: SQLite files in ``data_dir``, as
    `make run`); ``smtp``: a test SMTP server the system sends its email to."""

    def __init__(self, amqp_uri: str, data_dir: str, extra_env=None, urls=None, smtp=None,
                 root=ROOT):
        self.port = free_port()
        self.root = root  # another release's tree: an office before its upgrade
        self.urls = urls or {s: f"sqlite:///{data_dir}/{s}.db" for s in SERVICES}
        self.smtp, self.data_dir, self.extra = smtp, data_dir, []
        extra_env = {**{f"{s.upper()}_DB_URL": url for s, url in (urls or {}).items()},
                     **({"SMTP_URL": f"smtp://127.0.0.1:{smtp.port}"} if smtp else {}),
                     **(extra_env or {})}
        self.namespace = f"e{uuid.uuid4().hex[:10]}"
        self.amqp_uri = amqp_uri
        self.env = {**os.environ, "AMQP_URI": amqp_uri, "MINYI_DATA_DIR": data_dir,
                    "MINYI_HEALTH_DIR": data_dir,
                    "GATEWAY_PORT": str(self.port), "MINYI_NAMESPACE": self.namespace,
                    "MINYI_ADMIN_USERNAME": "admin", "MINYI_ADMIN_PASSWORD": ADMIN_PASSWORD,
                    "MINYI_RETRY_DELAYS": "0.2,0.5", "MINYI_MAX_ATTEMPTS": "3",
                    "MINYI_OUTBOX_POLL": "0.5",
                    # The tests' webhook receivers listen on 127.0.0.1.
                    "MINYI_WEBHOOK_ALLOW_PRIVATE": "1",
                    # As `make run` makes one; here in the env so second instances share it.
                    "MINYI_PRINCIPAL_KEY": uuid.uuid4().hex * 2, "PYTHONPATH": root,
                    **(extra_env or {})}
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = os.path.join(data_dir, "system.log")
        self.process = None

    def launch(self) -> "RunningSystem":
        """Start the launcher and return at once."""
        self.log = open(self.log_path, "ab")
        self.process = subprocess.Popen([sys.executable, "-m", "minyi_common.launcher"],
                                        cwd=self.root, env=self.env, stdout=self.log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def start(self, timeout=60) -> "RunningSystem":
        self.launch()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the system exited: {self.tail()}")
            # Ready means the launcher saw it too: until then it treats a service that
            # dies as a failed start and stops everything instead of restarting it.
            if "Minyi is running" in self.tail(lines=400):
                try:
                    if requests.get(self.base + "/readyz", timeout=2).status_code == 200:
                        return self
                except requests.RequestException:
                    pass
            time.sleep(0.2)
        raise RuntimeError(f"the system did not get ready: {self.tail()}")

    def tail(self, lines=40) -> str:
        return tail(self.log_path, lines)

    def second(self, service: str) -> "ServiceProcess":
        """Another instance of ``service``, as `docker compose up --scale` makes one (it
        waits for a broker that is away, as compose's restarted instances do)."""
        process = ServiceProcess(service, {**self.env, "MINYI_BROKER_WAIT": "60"},
                                 os.path.join(self.data_dir,
                                              f"extra-{len(self.extra)}-{service}.log"))
        self.extra.append(process.start())
        return process

    def stop(self, timeout=30, group=True) -> bool:
        """SIGTERM (to the whole process group, as Ctrl-C does, or to the launcher
        alone), and to every extra instance; True when everything was gone within
        ``timeout`` without a SIGKILL."""
        stopping = [process.stop for process in self.extra if process.process.poll() is None]
        if stopping:
            race(*stopping)
        clean = True
        if self.process and self.process.poll() is None:
            (os.killpg if group else os.kill)(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                clean = False
        if self.process and self._group_alive():
            clean = False
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.log.close()
        return clean

    def _group_alive(self) -> bool:
        try:
            os.killpg(self.process.pid, 0)
            return True
        except ProcessLookupError:
            return False

    def cleanup_broker(self) -> None:
        with Connection(self.amqp_uri) as connection:
            topology.delete(connection, self.namespace, (0.2, 0.5))

    def admin(self) -> Api:
        return Api(self.base).login("admin", ADMIN_PASSWORD)


@contextlib.contextmanager
def running_system(amqp_uri: str, data_dir: str, extra_env=None, backend="sqlite",
                   pg_server_url=None, timeout=90):
    """A whole system for a module (or a session) of tests, on SQLite or on PostgreSQL
    (fresh databases, dropped afterwards), with a real SMTP server; it must stop
    cleanly."""
    databases = DatabaseMaker(backend, pathlib.Path(data_dir), pg_server_url)
    smtp = SmtpServer(pathlib.Path(data_dir)).start()
    # An SMS provider too (Alibaba's, faked): nobody gets SMS until they choose them.
    sms = FakeSms("aliyun", data_dir).start()
    wecom = FakeWeCom().start()  # and WeCom's server API (every UserID a member)
    extra_env = {"SMS_URL": sms.url, "SMS_TEMPLATES": json.dumps(SMS_TEMPLATES),
                 "WECOM_URL": wecom.url, **(extra_env or {})}
    running = None
    try:
        # Migrations run in the services as they start, as in deployment.
        urls = {s: databases.url(s, migrate=False) for s in SERVICES} \
            if backend == "postgresql" else None
        running = RunningSystem(amqp_uri, data_dir, extra_env, urls, smtp).start(timeout)
        running.sms, running.wecom = sms, wecom
        yield running
    finally:
        clean = True
        if running:
            clean = running.stop()
            running.cleanup_broker()
        smtp.stop()
        sms.stop()
        wecom.stop()
        databases.drop_all()
    assert clean, "SIGTERM did not stop every process of the system within 30 s"


def eventually(check, timeout=5.0, interval=0.05):
    """Poll ``check`` until it returns a truthy value; that value, or the last one."""
    deadline = time.monotonic() + timeout
    value = check()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = check()
    return value


class ServiceProcess:
    """One service as `make run` starts it (`python -m minyi_common.serve NAME`)."""

    def __init__(self, service: str, env: dict, log_path: str):
        self.service, self.env, self.log_path = service, {**os.environ, **env}, log_path
        self.process = None

    def start(self) -> "ServiceProcess":
        self.log = open(self.log_path, "ab")
        self.process = subprocess.Popen([sys.executable, "-m", "minyi_common.serve",
                                         self.service], cwd=ROOT, env=self.env,
                                        stdout=self.log, stderr=subprocess.STDOUT)
        return self

    def tail(self, lines=40) -> str:
        return tail(self.log_path, lines)

    def started(self) -> bool:
        """Its container is running (it said "<service> started")."""
        with open(self.log_path, "rb") as log:
            return f'"msg": "{self.service} started"'.encode() in log.read()

    def kill(self) -> None:
        """SIGKILL: no cleanup, no acks, no last commit."""
        self.process.kill()
        self.process.wait()
        self.log.close()

    def stop(self, timeout=20) -> int:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        return self.process.returncode
