"""The outbox every service writes its events to, the relay that publishes them, and
the pruning that keeps the plumbing tables small."""
import logging
import time
from datetime import timedelta

from sqlalchemy import (Column, Integer, MetaData, String, Table, Text, delete, func, select,
                        update)

from .engine import UTCDateTime, utcnow
from .unit_of_work import Database

log = logging.getLogger(__name__)


def file_columns() -> list:
    """What a service keeps of a file the gateway stored (attachments of reports and of
    outcomes): where its bytes are and what they are, by whom and when."""
    return [Column("key", String(64), nullable=False, unique=True),
            Column("name", String(200), nullable=False),
            Column("size", Integer, nullable=False),
            Column("content_type", String(100), nullable=False),
            Column("sha256", String(64), nullable=False),
            Column("uploaded_by", String(36), nullable=False),
            Column("created_at", UTCDateTime(), nullable=False)]


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
        # carry no order between them: consumers apply them in any order
        # (docs/architecture.md).
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
        from ..amqp import Unroutable  # the broker adapter; db/ stays broker-free
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
