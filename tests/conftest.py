import pytest

from .system import RunningSystem


@pytest.fixture(scope="module")
def system(amqp_uri, tmp_path_factory):
    running = RunningSystem(amqp_uri, str(tmp_path_factory.mktemp("minyi"))).start()
    yield running
    running.stop()
    running.cleanup_broker()
