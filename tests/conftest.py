import pytest

from .system import running_system


@pytest.fixture(scope="module")
def system(amqp_uri, tmp_path_factory):
    with running_system(amqp_uri, str(tmp_path_factory.mktemp("minyi"))) as running:
        yield running
