import pytest

from minyi_common.testing import own_vhost

from .system import running_system


def _system(request, broker_uri, tmp_path_factory):
    """A system in a vhost of its own: nameko names its RPC queues by service alone, so in
    one vhost two systems (this one and one a test starts by itself) would answer each
    other's calls."""
    backend = request.param
    pg = request.getfixturevalue("pg_server_url") if backend == "postgresql" else None
    with own_vhost(broker_uri) as amqp_uri, \
            running_system(amqp_uri, str(tmp_path_factory.mktemp(f"minyi-{backend}")),
                           backend=backend, pg_server_url=pg) as running:
        yield running


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def system(request, broker_uri, tmp_path_factory):
    """The whole system, started like `make run`, on each database (the embedded default
    and the deployed one), with a real SMTP server configured: one for all the modules
    that use it (a start and a stop cost ~10 s and ~9 s of CPU). Each module makes its own
    unit and people (names with a random suffix), so none sees another's reports; a test
    that changes what is office-wide (the rule table, quotas) takes ``own_system``."""
    yield from _system(request, broker_uri, tmp_path_factory)


@pytest.fixture(params=["sqlite", "postgresql"])
def own_system(request, broker_uri, tmp_path_factory):
    """A whole system for one test alone, on each database."""
    yield from _system(request, broker_uri, tmp_path_factory)
