"""Engines for SQLite and PostgreSQL as every service uses them, and the column types
and helpers that differ between the two."""
import json
import os
import threading
import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from sqlalchemy import DateTime, TypeDecorator, create_engine, event
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError

if TYPE_CHECKING:
    from .unit_of_work import Database


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no zone of its own)."""
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware one")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value



# INSERT ... ON CONFLICT in each database's own dialect (SQLAlchemy has no common one).
CONFLICT_INSERTS = {"sqlite": sqlite_insert, "postgresql": postgresql_insert}


def conflict_insert(database: "Database", table):
    """An INSERT into ``table`` that can say what a conflict does (``on_conflict_*``)."""
    return CONFLICT_INSERTS[database.engine.dialect.name](table)


def normalize_url(url: str):
    """``postgresql://`` means psycopg2 here: SQLAlchemy 2.1 would pick psycopg 3, whose
    blocking calls eventlet cannot green (docs/nameko.md)."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg2")
    return parsed


def make_engine(url: str, **options):
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(parsed.database)), exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": 15, "check_same_thread": False},
                               **options)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            # pysqlite's own transaction handling is switched off so that SQLAlchemy's
            # BEGIN is the only one; WAL lets readers in other processes go on.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection):
            # Writers take the file's write lock up front (no deadlock on upgrade);
            # readers in WAL mode need no lock at all.
            read_only = connection.get_execution_options().get("minyi_read_only")
            connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")
        return engine
    # Enough kept connections for every worker (10), the relay and a background loop or
    # two: connections beyond the kept ones are closed when given back, and under load
    # that meant a new PostgreSQL connection (a process on the server) per transaction.
    options.setdefault("pool_size", 20)
    options.setdefault("max_overflow", 10)
    engine = create_engine(parsed, **options)
    _ping_when_idle(engine)
    return engine


# SQLAlchemy's pool_pre_ping asks the server before every transaction: under load, a round
# trip per transaction for nothing. A connection back in use within this many seconds
# was working a moment ago; one idle longer (the server may have restarted meanwhile) is
# asked first. One that breaks anyway fails its transaction (a 503 to retry, an event
# redelivered) and the pool then replaces every connection older than that moment.
PING_AFTER_IDLE = 1.0


def _ping_when_idle(engine) -> None:
    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection, record):
        record.info["minyi_checked_in"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, _proxy):
        idle = time.monotonic() - record.info.get("minyi_checked_in", time.monotonic())
        if idle < PING_AFTER_IDLE:
            return
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
            dbapi_connection.rollback()
        except Exception as exc:
            # The pool drops this connection and checks out another (a new one if need be).
            raise DisconnectionError(f"a kept connection no longer answers: {exc}") from exc


_SQLITE_LOCKS = {}


def _sqlite_lock(path: str | None):
    key = os.path.abspath(path) if path and path != ":memory:" else f"memory:{id(object())}"
    return _SQLITE_LOCKS.setdefault(key, threading.Lock())



def decode_json(value):
    """JSON columns come back as text on some drivers and as objects on others."""
    return json.loads(value) if isinstance(value, str) else value
