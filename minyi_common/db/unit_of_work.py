"""The unit of work (one transaction) and the locks that serialise work on one
aggregate across threads, processes and instances."""
import json
import logging

from sqlalchemy import MetaData, insert, select, text, update

from .engine import _sqlite_lock, conflict_insert, make_engine, utcnow

log = logging.getLogger(__name__)


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
        return self._read(statement, lambda result: result.first())

    def read_all(self, statement) -> list:
        """Every row of one read-only statement, as ``read_first`` reads."""
        return self._read(statement, lambda result: result.all())

    def _read(self, statement, take):
        if self.is_sqlite:
            with self.unit_of_work(read_only=True) as uow:
                return take(uow.execute(statement))
        with self.engine.connect() as connection:
            # psycopg2's own switch, a client-side flag: SQLAlchemy's isolation_level
            # option would reset the session with a SET statement on every return.
            dbapi_connection = connection.connection.dbapi_connection
            dbapi_connection.autocommit = True
            try:
                return take(connection.execute(statement))
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
