import pytest

from .system import running_system


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def system(request, amqp_uri, tmp_path_factory):
    """The whole system, started like `make run`, once per module on each database (the
    embedded default and the deployed one), with a real SMTP server configured."""
    backend = request.param
    pg = request.getfixturevalue("pg_server_url") if backend == "postgresql" else None
    with running_system(amqp_uri, str(tmp_path_factory.mktemp(f"minyi-{backend}")),
                        backend=backend, pg_server_url=pg) as running:
        yield running
