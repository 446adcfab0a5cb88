"""pytest fixtures shared by every service's tests and the cross-service tests.

A test run takes the broker and PostgreSQL from ``AMQP_URI`` / ``MINYI_TEST_PG_URL``
(defaults: the local services), starts testcontainers only when those do not answer
and a Docker engine does, and otherwise fails with a clear message: it never skips.
Each run gets its own RabbitMQ vhost (when it can make one) and each test its own
namespace of exchanges and queues and its own databases, all removed afterwards.
"""
import contextlib
import mailbox
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from email.header import decode_header, make_header
from dataclasses import replace

import pytest
from kombu import Connection
from sqlalchemy import text
from sqlalchemy.engine import make_url

from . import config, topology
from .amqp import check_broker
from .db import make_engine
from .migrate import upgrade
from .registry import migrations_dir

# Note on imports: nothing from .serve at the top. Importing serve monkey-patches the
# process for eventlet, and tests/system.py imports free_port from here for the browser
# tests (web/e2e), whose Playwright must run unpatched.

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


def pytest_configure(config):
    """Tests run services and call them in-process, as minyi_common.serve does."""
    from .nameko import install
    install()


def _docker_answers() -> bool:
    try:
        import docker
        docker.from_env().ping()
        return True
    except Exception:
        return False


def _vhost_tool(verb: str, vhost: str) -> bool:
    """Create or delete a vhost with rabbitmqctl, when this machine has it."""
    ctl = shutil.which("rabbitmqctl")
    if not ctl:
        return False
    steps = ([[ctl, "add_vhost", vhost], [ctl, "set_permissions", "-p", vhost, "guest",
                                          ".*", ".*", ".*"]]
             if verb == "add" else [[ctl, "delete_vhost", vhost]])
    for step in steps:
        if subprocess.run(step, capture_output=True, timeout=60).returncode != 0:
            return False
    return True


@pytest.fixture(scope="session")
def broker_uri():
    uri = os.environ.get("AMQP_URI", "amqp://guest:guest@localhost:5672/")
    problem = check_broker(uri, timeout=3)
    if problem is None:
        yield uri
        return
    if _docker_answers():
        from testcontainers.rabbitmq import RabbitMqContainer
        with RabbitMqContainer("rabbitmq:3.13-management") as rabbit:
            params = rabbit.get_connection_params()
            yield f"amqp://guest:guest@{params.host}:{params.port}/"
        return
    pytest.fail(f"The tests need RabbitMQ. {problem}", pytrace=False)


@contextlib.contextmanager
def own_vhost(broker_uri):
    """A vhost of its own on the local broker, removed afterwards (the base vhost where
    vhosts cannot be made). nameko names its RPC queues by service alone (rpc-intake),
    so two systems at once need two vhosts."""
    vhost = f"minyi-test-{uuid.uuid4().hex[:8]}"
    local = Connection(broker_uri).hostname in ("localhost", "127.0.0.1")
    if local and _vhost_tool("add", vhost):
        try:
            yield Connection(broker_uri, virtual_host=vhost).as_uri(include_password=True)
        finally:
            _vhost_tool("delete", vhost)
    else:
        yield broker_uri


@pytest.fixture(scope="session")
def amqp_uri(broker_uri):
    """A vhost of this test run's own, removed at the end (the base vhost otherwise)."""
    with own_vhost(broker_uri) as uri:
        yield uri


class NamespaceSupply:
    """Fresh namespaces with their topology already declared, one made ahead while the
    test before runs, and deleted after their test while the next one runs.

    Declaring a namespace's 144 queues took a test ~0.55 s and deleting them ~0.2 s (the
    broker's work: ~0.5 and ~0.2 s of its CPU), a hundred times a run, all of it waited
    for. In green threads (the suite runs under eventlet's patching) the broker does it
    while a test waits for something else. Each namespace is still new and used once: a
    message left in one can never reach another test. A topology the background could not
    declare is declared again (and its error raised) when it is taken."""

    def __init__(self, amqp_uri: str):
        import eventlet  # not at the top: see the note on imports
        self._spawn, self.amqp_uri = eventlet.spawn, amqp_uri
        self._next = self._spawn(self._declared_namespace)
        self._deleting = []

    def _declared_namespace(self) -> str:
        from .amqp import ensure_topology
        name = f"t{uuid.uuid4().hex[:10]}"
        # Remembered as declared in this process: the test's containers skip it.
        ensure_topology(self.amqp_uri, name, TEST_RETRY_DELAYS)
        return name

    def take(self) -> str:
        made_ahead, self._next = self._next, None
        try:
            name = made_ahead.wait()
        except Exception:
            name = self._declared_namespace()  # now, and any error is the test's
        self._next = self._spawn(self._declared_namespace)
        return name

    def give_back(self, name: str) -> None:
        self._deleting = [g for g in self._deleting if not g.dead]
        self._deleting.append(self._spawn(self._delete, name))

    def _delete(self, name: str) -> None:
        try:
            with Connection(self.amqp_uri) as connection:
                topology.delete(connection, name, TEST_RETRY_DELAYS)
        except Exception:
            pass  # the vhost goes at the end of the run anyway

    def close(self) -> None:
        if self._next is not None:
            try:
                self._delete(self._next.wait())
            except Exception:
                pass
        for deleting in self._deleting:
            deleting.wait()


@pytest.fixture(scope="session")
def namespace_supply(amqp_uri):
    supply = NamespaceSupply(amqp_uri)
    yield supply
    supply.close()


@pytest.fixture
def namespace(namespace_supply):
    """A namespace of exchanges and queues of this test's own, declared."""
    name = namespace_supply.take()
    yield name
    namespace_supply.give_back(name)


@pytest.fixture(scope="session")
def pg_server_url():
    from .serve import check_database  # imported late: see the note on imports
    url = os.environ.get("MINYI_TEST_PG_URL", DEFAULT_PG)
    problem = check_database(url)
    if problem is None:
        yield url
        return
    if _docker_answers():
        from testcontainers.postgres import PostgresContainer
        with PostgresContainer("postgres:16") as pg:
            yield pg.get_connection_url().replace("+psycopg2", "")
        return
    pytest.fail(f"The tests need PostgreSQL. {problem} Or set MINYI_TEST_PG_URL.",
                pytrace=False)


class DatabaseMaker:
    """Makes fresh, migrated databases for a test and drops them afterwards."""

    def __init__(self, backend, tmp_path, pg_server_url):
        self.backend, self.tmp_path, self.pg_server_url = backend, tmp_path, pg_server_url
        self.created = []

    def url(self, service: str, migrate=True) -> str:
        if self.backend == "sqlite":
            url = f"sqlite:///{self.tmp_path / f'{service}-{uuid.uuid4().hex[:8]}.db'}"
        else:
            name = f"minyi_t_{uuid.uuid4().hex[:12]}_{service}"
            admin = make_engine(self.pg_server_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            admin.dispose()
            self.created.append(name)
            url = make_url(self.pg_server_url).set(database=name).render_as_string(
                hide_password=False)
        if migrate:
            upgrade(migrations_dir(service), url)
        return url

    def drop_all(self):
        if not self.created:
            return
        admin = make_engine(self.pg_server_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            for name in self.created:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


BACKENDS = ("sqlite", "postgresql")


def pytest_generate_tests(metafunc):
    """Every test that touches a database (through ``databases``, ``service_config`` or
    ``backend``) runs on SQLite and on PostgreSQL, unless it names its backends itself
    (``@pytest.mark.parametrize("backend", ["postgresql"])`` for a race SQLite would
    serialise)."""
    if "backend" not in metafunc.fixturenames:
        return
    for marker in metafunc.definition.iter_markers("parametrize"):
        names = marker.args[0]
        if "backend" in (names.replace(" ", "").split(",") if isinstance(names, str)
                         else names):
            return
    metafunc.parametrize("backend", BACKENDS)


@pytest.fixture
def backend():
    """Overridden by the parametrisation above; here for a test that builds its fixtures
    by hand."""
    return "sqlite"


# Kept for the tests that say it explicitly; the default is the same now.
both_backends = pytest.mark.parametrize("backend", BACKENDS)


@pytest.fixture
def databases(request, backend, tmp_path):
    pg = request.getfixturevalue("pg_server_url") if backend == "postgresql" else None
    maker = DatabaseMaker(backend, tmp_path, pg)
    yield maker
    maker.drop_all()


# Short delays so that retry and dead-letter tests run in seconds.
TEST_RETRY_DELAYS = (0.2, 0.5)


@pytest.fixture
def make_settings(amqp_uri, namespace):
    def make(service: str, db_url: str, **overrides) -> config.Settings:
        base = config.Settings(service=service, amqp_uri=amqp_uri, db_url=db_url,
                               namespace=namespace, level="county", rpc_timeout=5.0,
                               retry_delays=TEST_RETRY_DELAYS, max_attempts=3,
                               outbox_poll_interval=0.2,
                               data_keys=("a-data-key-for-tests-of-32-bytes-or-more",))
        return replace(base, **overrides)
    return make


@pytest.fixture
def service_config(make_settings, databases):
    """``service_config("intake")`` → a nameko config on a fresh, migrated database."""
    def make(service: str, **overrides) -> dict:
        from .serve import run_prepare_hook  # imported late: see the note on imports
        settings = make_settings(service, databases.url(service), **overrides)
        run_prepare_hook(settings)
        return settings.nameko_config()
    return make


def emptied(database):
    """``database`` with every row of its service's tables deleted (its migrations kept):
    one test's second run from nothing, on the same database."""
    with database.engine.begin() as connection:
        for table in reversed(database.metadata.sorted_tables):
            connection.execute(table.delete())
    return database


def race(*calls) -> list:
    """Run ``calls`` at the same moment: each in its own thread, released together at a
    barrier. Returns each call's result, or the exception it raised (never swallowed: the
    caller looks at every one)."""
    import threading
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        try:
            results[index] = call()
        except Exception as exc:  # handed back to the caller, who asserts on it
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(t.is_alive() for t in threads), "a racing call did not finish in 120 s"
    return results


class SmtpServer:
    """aiosmtpd in a process of its own, keeping what it receives in a maildir.
    ``tls``: (certificate file, key file) to offer STARTTLS and insist on it."""

    def __init__(self, tmp_path, port=None, tls=None):
        self.port = port or free_port()
        self.maildir = str(tmp_path / f"maildir-{self.port}")
        self.tls = tls
        self.process = None

    def start(self):
        tls = ["--tlscert", self.tls[0], "--tlskey", self.tls[1]] if self.tls else []
        self.process = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l",
                                         f"127.0.0.1:{self.port}", *tls, "-c",
                                         "aiosmtpd.handlers.Mailbox", self.maildir],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert _eventually(self._answers, 10), "the test SMTP server did not start"
        return self

    def _answers(self):
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
            return True
        except OSError:
            return False

    def messages(self):
        try:
            return list(mailbox.Maildir(self.maildir, create=False))
        except (FileNotFoundError, mailbox.NoSuchMailboxError):
            return []

    def stop(self):
        if self.process:
            self.process.terminate()
            self.process.wait(10)


    def received(self) -> dict:
        """{(To, Subject): the Message-IDs of the emails that arrived, one per email}."""
        found = {}
        for message in self.messages():
            key = (message["To"], str(make_header(decode_header(message["Subject"] or ""))))
            found.setdefault(key, []).append(message["Message-ID"])
        return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _eventually(check, timeout):
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
