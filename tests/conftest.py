import pytest

from .system import RunningSystem


@pytest.fixture(scope="module")
def system(amqp_uri, tmp_path_factory):
    running = RunningSystem(amqp_uri, str(tmp_path_factory.mktemp("minyi"))).start()
    yield running
    clean = running.stop()
    running.cleanup_broker()
    assert clean, "SIGTERM did not stop every process of the system within 30 s"
