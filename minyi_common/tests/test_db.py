"""The unit of work and the plumbing tables, on SQLite and PostgreSQL."""
from datetime import timedelta

import pytest
from sqlalchemy import event, func, insert, select, text

from minyi_common import events
from minyi_common.db import Database, DirectoryCopy, Retention, handle_each, lock, utcnow
from minyi_common.testing import both_backends
from services.intake.adapters.orm import metadata


def unit_event():
    return events.new_event("directory.unit_upserted", "admin",
                            unit={"id": "u1", "name": "单位", "kind": "party"})


@both_backends
def test_a_rolled_back_unit_of_work_leaves_no_event_and_no_claim(databases):
    db = Database(databases.url("intake"), metadata)
    try:
        with db.unit_of_work() as uow:
            uow.emit(unit_event())
            assert uow.claim("c.t", "e-1")  # the claim handle_each makes for service c
            # no commit: leaving the block rolls everything back
        with db.engine.connect() as connection:
            assert connection.execute(select(func.count()).select_from(db.outbox)).scalar() == 0
        calls = []
        event = {"event_id": "e-1", "event_type": "t"}
        assert handle_each(db, "c", [event], lambda uow, e: calls.append(e)) == 1
        assert handle_each(db, "c", [event], lambda uow, e: calls.append(e)) == 0
        assert handle_each(db, "other", [event], lambda uow, e: calls.append(e)) == 1
        assert len(calls) == 2
    finally:
        db.dispose()


@both_backends
def test_a_directory_copy_keeps_each_records_newest_snapshot(databases):
    """One helper keeps every service's copy: a late, older snapshot changes nothing, a
    duplicate changes nothing, and a copy without units refuses a unit's event."""
    db = Database(databases.url("intake"), metadata)
    people, units = metadata.tables["people"], metadata.tables["units"]
    copy = DirectoryCopy("intake", people, lambda p: {
        "display_name": p["display_name"], "roles": p["roles"], "unit_ids": p["unit_ids"],
        "active": p["active"]}, units)

    def person(name, version):
        return events.parse_event(events.new_event(
            "directory.person_upserted", "admin", person={
                "id": "p1", "username": "zhang", "display_name": name, "roles": ["member"],
                "unit_ids": [], "active": True, "version": version}))
    try:
        newer, older = person("张三（新）", 2), person("张三", 1)
        copy.consume(db, [newer, events.parse_event(unit_event())])
        copy.consume(db, [older, newer])  # late and older; and the newer one again
        with db.engine.connect() as connection:
            names = connection.execute(select(people.c.display_name)).scalars().all()
            assert names == ["张三（新）"]
            assert connection.execute(select(units.c.name)).scalars().all() == ["单位"]
        people_only = DirectoryCopy("other", people, lambda p: {})
        with pytest.raises(ValueError):
            people_only.consume(db, [events.parse_event(unit_event())])
    finally:
        db.dispose()


@both_backends
def test_a_batch_applies_each_new_event_once_or_nothing_at_all(databases):
    db = Database(databases.url("intake"), metadata)
    a, b, c = ({"event_id": f"e-{n}", "event_type": "t"} for n in "abc")
    try:
        handle_each(db, "c", [a], lambda uow, e: None)  # handled before
        calls = []
        # ``a`` was handled before; ``b`` comes twice in the batch (a duplicate delivery).
        assert handle_each(db, "c", [a, b, c, b], lambda uow, e: calls.append(e)) == 2
        assert calls == [b, c]

        def fails_on_e(uow, event):
            calls.append(event)
            if event["event_id"] == "e-e":
                raise RuntimeError("cannot apply")
        d, e = ({"event_id": f"e-{n}", "event_type": "t"} for n in "de")
        with pytest.raises(RuntimeError):
            handle_each(db, "c", [d, e], fails_on_e)
        # Nothing of the failed batch was kept, not even ``d``'s claim: it runs again.
        calls.clear()
        assert handle_each(db, "c", [d], fails_on_e) == 1 and calls == [d]
    finally:
        db.dispose()


@both_backends
def test_a_batch_comes_to_its_handlers_in_the_order_of_its_reports(databases):
    """Every batch locks its reports in one order, so two batches about the same reports
    never wait for each other in a circle, however their events arrived."""
    db = Database(databases.url("intake"), metadata)
    arrived = [{"event_id": f"e-{n}", "event_type": "t", "report_id": report}
               for n, report in enumerate(["r-2", "r-3", "r-1", "r-2"])]
    seen, applied = [], []
    try:
        handle_each(db, "c", arrived, lambda uow, e: applied.append(e["event_id"]),
                    lambda uow, batch: seen.extend(e["event_id"] for e in batch))
        # By report; one report's events as they arrived.
        assert seen == applied == ["e-2", "e-0", "e-3", "e-1"]
    finally:
        db.dispose()


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_batch_takes_its_reports_locks_in_one_statement_and_holds_each(databases):
    """handle_each's ``before`` locks a batch's reports at once: one round trip, every key
    held until the batch commits, none asked twice."""
    db = Database(databases.url("intake"), metadata)
    statements = []
    event.listen(db.engine, "before_cursor_execute",
                 lambda *args: statements.append(args[2]))
    keys = ["report:a", "report:b", "report:c"]

    def free(key) -> bool:  # as another instance would find it
        with db.engine.connect() as other:
            return other.execute(text("SELECT pg_try_advisory_xact_lock("
                                      "hashtextextended(:key, 0))"), {"key": key}).scalar()
    try:
        with db.unit_of_work() as uow:
            statements.clear()
            lock(uow, *keys, "report:b")
            lock(uow, "report:a")  # held: not asked again
            assert len(statements) == 1, statements
            assert not any(free(key) for key in keys)
            uow.commit()
        assert all(free(key) for key in keys)
    finally:
        db.dispose()


@both_backends
def test_retention_prunes_only_what_is_old_and_done(databases):
    db = Database(databases.url("intake"), metadata)
    now = utcnow()
    try:
        with db.unit_of_work() as uow:
            for n, (published, created) in enumerate([(now - timedelta(days=8), now),
                                                      (now, now), (None, now - timedelta(days=30))]):
                uow.execute(insert(db.outbox).values(event_id=f"e{n}", event_type="x", body="{}",
                                                     created_at=created, published_at=published))
            uow.execute(insert(db.processed_events), [
                {"consumer": "c", "event_id": "old", "processed_at": now - timedelta(days=91)},
                {"consumer": "c", "event_id": "new", "processed_at": now}])
            uow.commit()
        Retention(db).prune()
        with db.engine.connect() as connection:
            left = {r.event_id for r in connection.execute(select(db.outbox.c.event_id))}
            claims = {r.event_id for r in connection.execute(
                select(db.processed_events.c.event_id))}
        assert left == {"e1", "e2"}  # recent, and never published however old
        assert claims == {"new"}
    finally:
        db.dispose()


def test_on_sqlite_a_reader_does_not_wait_for_a_writer(tmp_path):
    db = Database(f"sqlite:///{tmp_path}/x.db", metadata)
    metadata.create_all(db.engine)
    try:
        with db.unit_of_work() as writer:  # holds the process's writer lock
            writer.emit(unit_event())
            with db.unit_of_work(read_only=True) as reader:  # would deadlock if it queued
                seen = reader.execute(select(func.count()).select_from(db.outbox)).scalar()
            assert seen == 0  # the writer has not committed
            writer.commit()
        with db.unit_of_work(read_only=True) as reader:
            assert reader.execute(select(func.count()).select_from(db.outbox)).scalar() == 1
    finally:
        db.dispose()


def test_topology_declaration_waits_for_a_broker_that_is_away(caplog):
    """A broker restarting while a service starts: the declaration is tried again with
    growing pauses and one log line, not a traceback at the first refusal."""
    import logging
    import time

    import pytest

    from minyi_common.amqp import CONNECTION_ERRORS, ensure_topology
    from tests.system import free_port

    port = free_port()  # nothing listens there
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="minyi_common.amqp"):
        with pytest.raises(CONNECTION_ERRORS):
            ensure_topology(f"amqp://guest:guest@127.0.0.1:{port}//", "nowhere", (0.2,),
                            give_up_after=6.0)
    assert 3.0 <= time.monotonic() - started < 30
    assert len([r for r in caplog.records if "not answering" in r.getMessage()]) == 1


def _every_queue_is_there(connection, namespace) -> None:
    from minyi_common import topology
    from minyi_common.testing import TEST_RETRY_DELAYS

    channel = connection.channel()
    for queue in topology.all_queues(namespace, TEST_RETRY_DELAYS):
        queue(channel).queue_declare(passive=True)  # raises NotFound when absent
    channel.close()


def test_the_topology_declared_at_once_is_all_there_and_a_refusal_is_raised(amqp_uri):
    """The declarations go out without waiting for each answer; every queue is there
    afterwards, and a declaration the broker refuses (here a queue of the same name but
    other arguments, in the middle of the list) still raises, not vanishes. (Names of its
    own: the ``namespace`` fixture's comes declared.)"""
    import uuid

    from amqp.exceptions import PreconditionFailed
    from kombu import Connection, Queue

    from minyi_common import topology
    from minyi_common.testing import TEST_RETRY_DELAYS

    fresh, other = (f"t{uuid.uuid4().hex[:10]}" for _ in range(2))
    with Connection(amqp_uri) as connection:
        topology.declare(connection, fresh, TEST_RETRY_DELAYS)
        _every_queue_is_there(connection, fresh)
        topology.delete(connection, fresh, TEST_RETRY_DELAYS)

        clash = topology.queue_name(other, "review", "report_submitted")
        channel = connection.channel()
        Queue(clash, durable=False, auto_delete=True)(channel).declare()
        with pytest.raises(PreconditionFailed):
            topology.declare(connection, other, TEST_RETRY_DELAYS)
        channel.close()
        topology.delete(connection, other, TEST_RETRY_DELAYS)


def test_the_namespace_supply_hands_each_one_out_once_declared_and_deletes_it(amqp_uri):
    """What every test's ``namespace`` comes from: made ahead in the background, so it
    must be declared by the time it is taken, new each time, and gone after close()."""
    from amqp.exceptions import NotFound
    from kombu import Connection

    from minyi_common import topology
    from minyi_common.testing import NamespaceSupply

    supply = NamespaceSupply(amqp_uri)
    taken = [supply.take(), supply.take()]
    assert taken[0] != taken[1]
    with Connection(amqp_uri) as connection:
        for name in taken:
            _every_queue_is_there(connection, name)
        for name in taken:
            supply.give_back(name)
        supply.close()
        for name in taken:
            channel = connection.channel()
            with pytest.raises(NotFound):
                topology.consumer_queue(name, "review", "report_submitted")(
                    channel).queue_declare(passive=True)
