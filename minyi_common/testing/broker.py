"""The broker for a test run: a RabbitMQ vhost of the run's own (local, or started
with testcontainers), and a namespace of exchanges and queues per test."""
import contextlib
import os
import shutil
import subprocess
import uuid

import pytest
from kombu import Connection

from .. import topology
from ..amqp import check_broker

# Short delays so that retry and dead-letter tests run in seconds.
TEST_RETRY_DELAYS = (0.2, 0.5)


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
        from ..amqp import ensure_topology
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
