"""Databases for a test: SQLite and PostgreSQL (local, or started with
testcontainers), fresh and migrated per test, and the settings and nameko config of a
service on them."""
import os
import shutil
import tempfile
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


class MigratedTemplates:
    """One database per service and backend, migrated once per test process; each test's
    migrated database is a copy of it (a file copy on SQLite, ``CREATE DATABASE …
    TEMPLATE`` on PostgreSQL).

    Running every migration for each of a few hundred tests cost most of their set-up:
    SQLite's migrations rebuild tables (0.1–0.7 s a service), PostgreSQL's about 0.15 s.
    The copy holds exactly what the migrations made, so the tests see the same schema;
    the migrations themselves still run, once here and in the tests that migrate an
    empty database on purpose (``url(..., migrate=False)``) and in every system started.
    """

    def __init__(self):
        self.directory = None
        self.made = {}  # (backend, service, pg server) -> file path or database name

    def copy_into(self, backend, service, pg_server_url, target):
        """Fill ``target`` (a SQLite path, or a PostgreSQL database name still to make)
        with a migrated copy."""
        key = (backend, service, pg_server_url)
        if key not in self.made:
            self.made[key] = self._make(backend, service, pg_server_url)
        template = self.made[key]
        if backend == "sqlite":
            shutil.copyfile(template, target)
        else:
            _create_database(pg_server_url, target, template=template)

    def _make(self, backend, service, pg_server_url):
        if backend == "sqlite":
            if self.directory is None:
                self.directory = tempfile.mkdtemp(prefix="minyi-templates-")
            path = os.path.join(self.directory, f"{service}.db")
            upgrade(migrations_dir(service), f"sqlite:///{path}")
            return path
        name = f"minyi_tpl_{uuid.uuid4().hex[:12]}_{service}"
        _create_database(pg_server_url, name)
        try:
            upgrade(migrations_dir(service), _database_url(pg_server_url, name))
        except BaseException:
            _drop_databases(pg_server_url, [name])
            raise
        return name

    def drop_all(self):
        for (backend, _, pg_server_url), template in self.made.items():
            if backend == "postgresql":
                _drop_databases(pg_server_url, [template])
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
        self.made.clear()


def _database_url(pg_server_url: str, name: str) -> str:
    return make_url(pg_server_url).set(database=name).render_as_string(hide_password=False)


def _create_database(pg_server_url: str, name: str, template: str | None = None) -> None:
    admin = make_engine(pg_server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"' +
                                    (f' TEMPLATE "{template}"' if template else "")))
    finally:
        admin.dispose()


def _drop_databases(pg_server_url: str, names) -> None:
    admin = make_engine(pg_server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            for name in names:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


class DatabaseMaker:
    """Makes fresh, migrated databases for a test and drops them afterwards."""

    def __init__(self, backend, tmp_path, pg_server_url, templates=None):
        self.backend, self.tmp_path, self.pg_server_url = backend, tmp_path, pg_server_url
        # Without templates every database is migrated where it is made.
        self.templates = templates
        self.created = []

    def url(self, service: str, migrate=True) -> str:
        copied = migrate and self.templates is not None
        if self.backend == "sqlite":
            path = self.tmp_path / f'{service}-{uuid.uuid4().hex[:8]}.db'
            url = f"sqlite:///{path}"
            if copied:
                self.templates.copy_into("sqlite", service, None, path)
        else:
            name = f"minyi_t_{uuid.uuid4().hex[:12]}_{service}"
            if copied:
                self.templates.copy_into("postgresql", service, self.pg_server_url, name)
            else:
                _create_database(self.pg_server_url, name)
            self.created.append(name)
            url = _database_url(self.pg_server_url, name)
        if migrate and not copied:
            upgrade(migrations_dir(service), url)
        return url

    def drop_all(self):
        if self.created:
            _drop_databases(self.pg_server_url, self.created)


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


@pytest.fixture(scope="session")
def migrated_templates():
    templates = MigratedTemplates()
    yield templates
    templates.drop_all()


@pytest.fixture
def databases(request, backend, tmp_path, migrated_templates):
    pg = request.getfixturevalue("pg_server_url") if backend == "postgresql" else None
    maker = DatabaseMaker(backend, tmp_path, pg, migrated_templates)
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
