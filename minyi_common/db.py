"""Database plumbing, free of any framework: engines, the unit of work, the outbox
and the processed-events table every service carries.

A unit of work is one transaction. Services write their events through it
(``uow.emit``) into the outbox table in the same transaction as the change, and
consumers claim each event id in the same transaction as their writes (``uow.claim``),
so a duplicate delivery changes nothing.
"""
import json
import logging
import os
import threading
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import (JSON, Column, DateTime, Integer, MetaData, String, Table, Text,
                        TypeDecorator, create_engine, delete, event, func, insert, select,
                        text, update)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError


log = logging.getLogger(__name__)


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


def plumbing_tables(metadata: MetaData) -> None:
    """Add the outbox and processed-events tables to a service's metadata."""
    Table("outbox", metadata,
          Column("id", Integer, primary_key=True, autoincrement=True),
          Column("event_id", String(36), nullable=False, unique=True),
          Column("event_type", String(80), nullable=False),
          Column("body", Text, nullable=False),
          Column("created_at", UTCDateTime(), nullable=False),
          Column("published_at", UTCDateTime(), nullable=True, index=True),
          # A relay's lease on the row while it publishes outside any transaction.
          Column("claimed_until", UTCDateTime(), nullable=True))
    Table("processed_events", metadata,
          Column("consumer", String(120), primary_key=True),
          Column("event_id", String(36), primary_key=True),
          Column("processed_at", UTCDateTime(), nullable=False))


# INSERT ... ON CONFLICT in each database's own dialect (SQLAlchemy has no common one).
CONFLICT_INSERTS = {"sqlite": sqlite_insert, "postgresql": postgresql_insert}


def conflict_insert(database: "Database", table):
    """An INSERT into ``table`` that can say what a conflict does (``on_conflict_*``)."""
    return CONFLICT_INSERTS[database.engine.dialect.name](table)


def normalize_url(url: str):
    """``postgresql://`` means psycopg2 here: SQLAlchemy 2.1 would pick psycopg 3, whose
    blocking calls eventlet cannot green (ENGINEERING.md, trap 6)."""
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


class Database:
    """An engine plus the service's metadata; hands out units of work."""

    def __init__(self, url: str, metadata: MetaData):
        self.engine = make_engine(url)
        self.metadata = metadata
        self.outbox = metadata.tables["outbox"]
        self.processed_events = metadata.tables["processed_events"]
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        # SQLite takes one writer at a time. Inside one (green-threaded) process we queue
        # transactions here rather than let a second one block the whole hub on the file
        # lock while the first waits for its turn to run. One lock per file, so that two
        # Database objects on one file in one process queue on it too.
        self._lock = _sqlite_lock(self.engine.url.database) if self.is_sqlite else None
        self.after_commit_with_events = []

    def unit_of_work(self, read_only: bool = False) -> "UnitOfWork":
        """A transaction. ``read_only`` ones must not write: on SQLite they neither queue
        for the writer lock nor take it, so reads never wait behind writes."""
        return UnitOfWork(self, read_only)

    def read_first(self, statement):
        """The first row of one read-only statement, or None. On PostgreSQL outside any
        transaction (autocommit): the BEGIN and ROLLBACK round trips cost more than a
        short read by key itself, and one statement sees one snapshot anyway. Several
        statements that must agree need a unit of work."""
        if self.is_sqlite:
            with self.unit_of_work(read_only=True) as uow:
                return uow.execute(statement).first()
        with self.engine.connect() as connection:
            # psycopg2's own switch, a client-side flag: SQLAlchemy's isolation_level
            # option would reset the session with a SET statement on every return.
            dbapi_connection = connection.connection.dbapi_connection
            dbapi_connection.autocommit = True
            try:
                return connection.execute(statement).first()
            finally:
                if not dbapi_connection.closed:
                    dbapi_connection.autocommit = False

    def dispose(self) -> None:
        self.engine.dispose()


class UnitOfWork:
    def __init__(self, database: Database, read_only: bool = False):
        self.db = database
        self.read_only = read_only
        self._lock = None if read_only else database._lock
        self.connection = None
        self._transaction = None
        self._emitted = 0
        # In-memory changes made along with this transaction, by name: each is taken back
        # (its callable called) if the transaction ends without committing.
        self.undo = {}
        # What a transaction reads once for all it does (a batch of events), by name.
        self.memo = {}

    def __enter__(self):
        if self._lock is not None:
            self._lock.acquire()
        try:
            self.connection = self.db.engine.connect()
            if self.read_only:
                self.connection = self.connection.execution_options(minyi_read_only=True)
            self._transaction = self.connection.begin()
        except BaseException:
            self._release()
            raise
        return self

    def __exit__(self, *exc_info):
        try:
            if self._transaction is not None and self._transaction.is_active:
                # Before the rollback, while this transaction still holds its locks: no
                # other one sees memory that reflects rows that never were.
                for name, take_back in self.undo.items():
                    try:
                        take_back()
                    except Exception:
                        log.exception("could not take back %s after a rollback", name)
                self._transaction.rollback()
        finally:
            self.connection.close()
            self._release()

    def _release(self):
        if self._lock is not None:
            self._lock.release()

    def execute(self, statement, *args):
        return self.connection.execute(statement, *args)

    def commit(self) -> None:
        self._transaction.commit()
        if self._emitted:
            for listener in self.db.after_commit_with_events:
                listener()

    def emit(self, event: dict) -> None:
        """Write an already validated event (``events.new_event``) to the outbox."""
        self.execute(insert(self.db.outbox), self.outbox_row(event))

    def outbox_row(self, event: dict) -> dict:
        """The outbox row of ``event``, for a caller that writes it in a statement of its
        own making (with other rows, in one round trip); the commit then wakes the relay
        as for ``emit``."""
        self._emitted += 1
        return dict(event_id=event["event_id"], event_type=event["event_type"],
                    body=json.dumps(event, ensure_ascii=False), created_at=utcnow())

    def claim(self, consumer: str, event_id: str) -> bool:
        """Record that ``consumer`` handles ``event_id`` now; False if it already did."""
        return (consumer, event_id) in self.claim_all([(consumer, event_id)])

    def claim_all(self, claims) -> set:
        """Record each (consumer, event id) pair as handled now, in one statement; the
        pairs that were not handled before (those this transaction may apply).

        A claim that exists is left alone. A concurrent duplicate waits on the primary key
        for the first to end, then finds its claim (or, if the first rolled back, takes
        it). Claims are written in key order, so two batches that share events wait for
        each other instead of deadlocking.
        """
        claims = sorted(set(claims))
        if not claims:
            return set()
        table = self.db.processed_events
        now = utcnow()
        taken = self.execute(
            conflict_insert(self.db, table).on_conflict_do_nothing()
            .returning(table.c.consumer, table.c.event_id),
            [{"consumer": consumer, "event_id": event_id, "processed_at": now}
             for consumer, event_id in claims])
        return {(row.consumer, row.event_id) for row in taken}


class OutboxRelay:
    """Publishes unpublished outbox rows and marks them published.

    A short transaction claims a batch (a lease in ``claimed_until``; ``FOR UPDATE SKIP
    LOCKED`` on PostgreSQL, so several instances claim different rows), the rows are
    published outside any transaction (no writer waits for the broker), and a second
    short transaction marks the published ones. A crash after publishing leaves the rows
    claimed; when the lease runs out they are published again: a duplicate, never a loss
    (consumers are idempotent on ``event_id``). A row the broker returns (no queue bound
    for its type) stays unpublished and is tried again later, without holding up the rest.
    """

    def __init__(self, database: Database, publish, batch_size: int = 200,
                 lease: float = 10.0, retry_returned_after: float = 30.0, fan_out=map):
        self.db = database
        self.publish = publish  # callable(event_type, body_json_text)
        self.batch_size = batch_size
        self.lease = timedelta(seconds=lease)
        self.retry_returned_after = timedelta(seconds=retry_returned_after)
        # How a batch's rows are handed to ``publish``: ``map`` one after another; a
        # concurrent map (green threads) has several confirms awaited at once. Events
        # carry no order between them (SPEC §13: consumers apply them in any order).
        self.fan_out = fan_out

    def _claim(self) -> list:
        outbox = self.db.outbox
        now = utcnow()
        query = (select(outbox.c.id, outbox.c.event_type, outbox.c.body)
                 .where(outbox.c.published_at.is_(None),
                        (outbox.c.claimed_until.is_(None)) | (outbox.c.claimed_until < now))
                 .order_by(outbox.c.id).limit(self.batch_size))
        if not self.db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        with self.db.unit_of_work() as uow:
            rows = uow.execute(query).all()
            if rows:
                uow.execute(update(outbox).where(outbox.c.id.in_([r.id for r in rows]))
                            .values(claimed_until=now + self.lease))
            uow.commit()
        return rows

    def relay_once(self) -> int:
        """Publish one batch; the number of rows claimed (a full batch: call again)."""
        from .amqp import Unroutable  # the broker adapter; db.py stays broker-free
        rows = self._claim()
        if not rows:
            return 0
        # Stop well before the lease runs out, so no other relay takes these rows while
        # this one still publishes them; and at the first failure (the broker is away).
        stop_at = time.monotonic() + self.lease.total_seconds() * 0.6
        failures = []

        def publish_one(row):
            if failures or time.monotonic() > stop_at:
                return row.id, "unsent"
            try:
                self.publish(row.event_type, row.body)
                return row.id, "published"
            except Unroutable:
                log.error("the broker returned a %s event (no queue bound); it stays in "
                          "the outbox and is tried again", row.event_type)
                return row.id, "returned"
            except Exception as exc:
                failures.append(exc)
                return row.id, "unsent"

        outcomes = []
        try:
            outcomes.extend(self.fan_out(publish_one, rows))
        finally:
            self._settle([r.id for r in rows],
                         [i for i, outcome in outcomes if outcome == "published"],
                         [i for i, outcome in outcomes if outcome == "returned"])
        if failures:
            raise failures[0]
        return len(rows)

    def _settle(self, claimed, published, returned) -> None:
        outbox = self.db.outbox
        now = utcnow()
        done = set(published) | set(returned)
        unsent = [i for i in claimed if i not in done]
        with self.db.unit_of_work() as uow:
            if published:
                uow.execute(update(outbox).where(outbox.c.id.in_(published))
                            .values(published_at=now, claimed_until=None))
            if returned:
                uow.execute(update(outbox).where(outbox.c.id.in_(returned))
                            .values(claimed_until=now + self.retry_returned_after))
            if unsent:
                uow.execute(update(outbox).where(outbox.c.id.in_(unsent))
                            .values(claimed_until=None))
            uow.commit()

    def backlog(self) -> int:
        outbox = self.db.outbox
        with self.db.engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(outbox).where(
                outbox.c.published_at.is_(None))).scalar_one()


class Every:
    """True once per ``seconds`` (per process), the first call included: housekeeping
    done now and then by whoever passes, not on every call."""

    def __init__(self, seconds: float):
        self.seconds, self._next = seconds, float("-inf")

    def __call__(self) -> bool:
        now = time.monotonic()
        if now < self._next:
            return False
        self._next = now + self.seconds
        return True


class Retention:
    """Keeps the plumbing tables from growing for ever: published outbox rows go after a
    week, processed-event claims after 90 days (a duplicate older than that is not
    expected: brokers redeliver within minutes, the relay within its batch)."""

    def __init__(self, database: Database, published_for=timedelta(days=7),
                 processed_for=timedelta(days=90), every=timedelta(hours=1)):
        self.db = database
        self.published_for, self.processed_for = published_for, processed_for
        self._due = Every(every.total_seconds())

    def prune(self, now=None) -> None:
        now = now or utcnow()
        outbox, processed = self.db.outbox, self.db.processed_events
        with self.db.unit_of_work() as uow:
            uow.execute(delete(outbox).where(outbox.c.published_at < now - self.published_for))
            uow.execute(delete(processed).where(
                processed.c.processed_at < now - self.processed_for))
            uow.commit()

    def maybe_prune(self) -> None:
        if self._due():
            self.prune()


def decode_json(value):
    """JSON columns come back as text on some drivers and as objects on others."""
    return json.loads(value) if isinstance(value, str) else value


__all__ = ["Database", "UnitOfWork", "OutboxRelay", "plumbing_tables", "utcnow", "JSON",
           "UTCDateTime", "decode_json"]


def handle_each(database: Database, service: str, events: list, handler, before=None,
                after=None) -> int:
    """Run ``handler(uow, event)`` for each of ``events`` that ``service`` has not handled
    yet (its claims are kept per event type, as "<service>.<event type>"): all in one
    transaction. ``before(uow, events)``, if given, runs first, once, with the events that
    will run, in the order they will: what a batch asks once instead of once per event
    (its reports' locks in one statement, their rows in one read); ``after(uow, events)``
    last, before the commit: what a batch writes once (rows several events changed).

    Each claim commits with the handler's writes: a redelivered or duplicated event
    (twice in one batch included) changes nothing. One transaction for a batch is one
    commit (one WAL flush, one fsync) instead of one per event; if any event fails, none
    is applied and the caller handles them again one by one. Returns how many ran.
    """
    # By the report each is about (arrival order within one report): handlers lock their
    # report, and batches that all lock in one order never wait for each other in a
    # circle (a deadlock costs PostgreSQL's deadlock_timeout, then every event alone).
    events = sorted(events, key=lambda each: each.get("report_id") or "")
    keyed = [((f"{service}.{each['event_type']}", each["event_id"]), each) for each in events]
    ran = 0
    with database.unit_of_work() as uow:
        fresh = uow.claim_all(key for key, _ in keyed)
        to_run = []
        for key, each in keyed:
            if key in fresh:
                fresh.discard(key)  # the same event twice in one batch: applied once
                to_run.append(each)
        if before is not None and to_run:
            before(uow, to_run)
        for each in to_run:
            handler(uow, each)
            ran += 1
        if after is not None and to_run:
            after(uow, to_run)
        uow.commit()
    return ran


def lock(uow: UnitOfWork, *keys: str, shared: bool = False) -> None:
    """Serialise work on one aggregate (a report, a directory record) across threads,
    processes and instances until the transaction ends.

    PostgreSQL: advisory transaction locks on a 64-bit hash of each key, so the rows need
    not exist yet; taken in the order given, so callers that take several sort them.
    ``shared`` ones exclude only exclusive holders (the scoring rebuild takes its key
    exclusively; event handlers take it shared, beside their report's own key). SQLite
    needs nothing: a writer holds the whole file (``BEGIN IMMEDIATE``).
    """
    if uow.db.is_sqlite:
        return
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    # Held until the transaction ends: a batch of events asks for each lock once.
    held = uow.memo.setdefault("advisory locks", set())
    wanted = [key for key in dict.fromkeys(keys) if (key, shared) not in held]
    if wanted:
        # A batch's keys in one round trip, still one after another in the order given.
        uow.execute(text(f"SELECT {function}(hashtextextended(key, 0)) FROM "
                         "unnest(CAST(:keys AS text[])) WITH ORDINALITY AS wanted(key, n) "
                         "ORDER BY n"), {"keys": wanted})
    held.update((key, shared) for key in wanted)


def upsert_row(uow: UnitOfWork, table, key, values: dict, version: int = 0) -> bool:
    """Keep the newest snapshot of a directory record (directory copies): update the row
    with primary key ``id == key`` or insert it, unless the stored copy came from a newer
    version than ``version`` (a snapshot that arrives late never overwrites a newer one).
    Returns whether it wrote."""
    lock(uow, f"{table.name}:{key}")
    row = uow.execute(select(table.c.source_version).where(table.c.id == key)).first()
    if row is not None and (row.source_version or 0) > version:
        return False
    if row is None:
        uow.execute(insert(table).values(id=key, source_version=version, **values))
    else:
        uow.execute(update(table).where(table.c.id == key)
                    .values(source_version=version, **values))
    return True
