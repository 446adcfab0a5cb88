"""Databases for a test: SQLite and PostgreSQL (local, or started with
testcontainers), fresh and migrated per test, and the settings and nameko config of a
service on them."""
import os
import uuid
from dataclasses import replace

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from .. import config
from ..db import make_engine
from ..migrate import upgrade
from ..registry import migrations_dir
from .broker import TEST_RETRY_DELAYS, _docker_answers

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"

@pytest.fixture(scope="session")
def pg_server_url():
    from ..serve import check_database  # late: see the package's note on imports
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
        from ..serve import run_prepare_hook  # late: see the package's note on imports
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
