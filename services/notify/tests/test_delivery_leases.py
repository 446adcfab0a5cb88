"""Deliveries under two senders (two notify instances) on PostgreSQL: a claimed delivery
is never sent again while its sender may still be sending it, and a sender gives back
what its lease could not cover instead of overrunning it."""
import threading
import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from minyi_common.db import Database, utcnow
from minyi_common.testing import race
from services.notify import delivery
from services.notify.adapters.orm import deliveries, metadata
from services.notify.adapters.repository import NotifyRepository


@pytest.fixture
def db(databases):
    database = Database(databases.url("notify"), metadata)
    yield database
    database.dispose()


def make_deliveries(db, count):
    with db.unit_of_work() as uow:
        repo = NotifyRepository(uow)
        for n in range(count):
            event = {"event_id": str(uuid.uuid4()), "event_type": "report_adopted"}
            delivery.record(repo, event, "email", f"p{n}", f"p{n}@example.org", "正文", "标题")
        uow.commit()


@pytest.mark.parametrize("backend", ["postgresql"])
def test_two_senders_send_each_delivery_once(db, monkeypatch):
    # A lease exactly as long as a batch of sends that each use their whole deadline:
    # the last send of a batch would overrun it, so the sender must give it back.
    monkeypatch.setattr(delivery, "LEASE_MARGIN", 0.0)
    deadline = 0.2
    make_deliveries(db, 14)
    sent, lock = [], threading.Lock()

    def send(row):
        time.sleep(deadline)  # as slow as the deadline allows
        with lock:
            sent.append(row["id"])

    def sender():
        rounds = 0
        while rounds < 200:
            rounds += 1
            delivery.dispatch_once(db, send, base_delay=0.1, max_attempts=3, limit=5,
                                   deadline=deadline)
            with db.unit_of_work(read_only=True) as uow:
                left = uow.execute(select(deliveries.c.id).where(
                    deliveries.c.status != "sent")).all()
            if not left:
                return rounds
            time.sleep(0.05)
        raise AssertionError("deliveries were left unsent")

    results = race(sender, sender)
    assert [r for r in results if isinstance(r, Exception)] == []
    assert sorted(sent) == sorted(set(sent)), "a delivery was sent twice"
    with db.unit_of_work(read_only=True) as uow:
        rows = uow.execute(select(deliveries.c.status, deliveries.c.attempts)).all()
    assert len(sent) == 14 and {(r.status, r.attempts) for r in rows} == {("sent", 1)}


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_stale_sender_cannot_overwrite_a_newer_claim(db, monkeypatch):
    monkeypatch.setattr(delivery, "LEASE_MARGIN", 0.0)
    make_deliveries(db, 1)
    stale = delivery.claim_due(db, limit=1, deadline=0.05)[0]
    time.sleep(0.1)  # its lease ran out; another instance claims the row again
    fresh = delivery.claim_due(db, limit=1, deadline=10)[0]
    assert fresh["id"] == stale["id"]
    # The stale sender's late failure is not recorded over the fresh claim...
    delivery.attempt(db, stale, lambda row: 1 / 0, base_delay=1, max_attempts=1)
    with db.unit_of_work(read_only=True) as uow:
        assert uow.execute(select(deliveries.c.status)).scalar() == "sending"
    # ...and the fresh claim's success is.
    assert delivery.attempt(db, fresh, lambda row: None, base_delay=1, max_attempts=3) == "sent"


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_sender_gives_back_what_its_lease_cannot_cover(db, monkeypatch):
    """Five claimed, each send taking its whole deadline, a lease of exactly five sends:
    the fifth cannot start safely (the bookkeeping between sends takes time too), so it
    goes back to pending untouched and the sender is done before its lease runs out."""
    monkeypatch.setattr(delivery, "LEASE_MARGIN", 0.0)
    deadline = 0.2
    make_deliveries(db, 5)
    sent, latest_ends, leases = [], [], []
    claim_due = delivery.claim_due

    def claim(*args, **kwargs):
        rows = claim_due(*args, **kwargs)
        leases.extend(row["locked_until"] for row in rows)
        return rows
    monkeypatch.setattr(delivery, "claim_due", claim)

    def send(row):
        # On the clock the lease is kept by: the latest this send may end.
        latest_ends.append(utcnow() + timedelta(seconds=deadline))
        time.sleep(deadline)
        sent.append(row["id"])

    delivery.dispatch_once(db, send, base_delay=1, max_attempts=3, limit=5, deadline=deadline)
    # Measured against the lease itself, not a stopwatch around the whole call (which
    # counted the claim and the final bookkeeping too, and failed by 7 ms on a busy
    # machine).
    assert leases and all(end <= min(leases) for end in latest_ends), \
        "a send could outlast the sender's lease"
    with db.unit_of_work(read_only=True) as uow:
        rows = uow.execute(select(deliveries.c.status, deliveries.c.attempts,
                                  deliveries.c.locked_until)).all()
    assert len(sent) == 4
    assert sorted((r.status, r.attempts) for r in rows) == [("pending", 0)] + [("sent", 1)] * 4
    assert all(r.locked_until is None for r in rows)
