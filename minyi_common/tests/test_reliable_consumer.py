"""The event entrypoint against a real broker: retries with delay, dead-letters, never
drops, never hot-loops; a killed consumer loses nothing; duplicates count once."""
import dataclasses
import json
import os
import subprocess
import sys
import time

import eventlet
from kombu import Connection
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.exc import OperationalError

from minyi_common import events, topology
from minyi_common.amqp import ConfirmingPublisher
from minyi_common.db import Database, handle_each, plumbing_tables
from minyi_common.dlq import inspect, replay
from minyi_common.nameko import on_event
from minyi_common.testing import both_backends

CALLS = []


def unit_event(name="测试单位"):
    return events.new_event("directory.unit_upserted", "admin",
                            unit={"id": f"u-{time.monotonic_ns()}", "name": name,
                                  "kind": "party"})


def publish(settings, event):
    publisher = ConfirmingPublisher(settings.amqp_uri)
    try:
        publisher.publish_event(settings.namespace, event["event_type"], json.dumps(event))
    finally:
        publisher.close()


def wait_for(predicate, timeout=10.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        eventlet.sleep(interval)
    return predicate()


class AlwaysFailing:
    """Borrows intake's subscription to unit events, and always fails."""
    name = "intake"

    @on_event("directory.unit_upserted")
    def unit_upserted(self, event):
        CALLS.append(time.monotonic())
        raise RuntimeError("this handler always fails")


def test_a_failing_handler_retries_with_delay_then_dead_letters(container_factory,
                                                                 make_settings, tmp_path):
    CALLS.clear()
    settings = make_settings("intake", f"sqlite:///{tmp_path}/x.db")
    container = container_factory(AlwaysFailing, settings.nameko_config())
    container.start()
    publish(settings, unit_event())

    dlq = topology.dead_letter_queue(settings.namespace, "intake", "directory.unit_upserted")
    assert wait_for(lambda: dict(inspect(settings.amqp_uri, settings.namespace)).get(dlq.name))
    eventlet.sleep(1.0)  # would a hot loop go on?
    assert len(CALLS) == settings.max_attempts  # 3 attempts, no more
    gaps = [b - a for a, b in zip(CALLS, CALLS[1:])]
    assert gaps[0] >= settings.retry_delays[0] * 0.9 and gaps[1] >= settings.retry_delays[1] * 0.9

    # An operator replays it: it is tried again (and dead-letters again, still failing).
    CALLS.clear()
    assert replay(settings.amqp_uri, settings.namespace, "intake") == 1
    assert wait_for(lambda: len(CALLS) == settings.max_attempts)


def test_an_event_that_breaks_its_contract_is_parked_at_once_and_the_cli_shows_it(
        container_factory, make_settings, tmp_path):
    """No attempt can make a malformed event valid: it goes to the dead-letter queue
    without reaching the handler or the retry queues; `python -m minyi_common.dlq list`
    shows it with its error, `replay` moves it back (and, still malformed, it is parked
    again)."""
    CALLS.clear()
    settings = make_settings("intake", f"sqlite:///{tmp_path}/x.db")
    container = container_factory(AlwaysFailing, settings.nameko_config())
    container.start()
    broken = unit_event()
    del broken["unit"]["name"]  # a unit event without its unit's name
    publish(settings, broken)

    dlq = topology.dead_letter_queue(settings.namespace, "intake", "directory.unit_upserted")
    assert wait_for(lambda: dict(inspect(settings.amqp_uri, settings.namespace)).get(dlq.name))
    assert CALLS == []  # the handler never saw it

    def cli(*args):
        env = {**os.environ, "AMQP_URI": settings.amqp_uri,
               "MINYI_NAMESPACE": settings.namespace}
        run = subprocess.run([sys.executable, "-m", "minyi_common.dlq", *args], env=env,
                             capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, run.stderr[-2000:]
        return run.stdout
    listed = cli("list")
    assert f"{dlq.name}: 1" in listed and "contract:" in listed and "name" in listed, listed
    assert cli("replay", "--service", "intake") == "replayed 1 events\n"
    assert wait_for(lambda: dict(inspect(settings.amqp_uri, settings.namespace))
                    .get(dlq.name) == 1)
    assert CALLS == []


class DatabaseAwayAWhile:
    """Borrows intake's subscription to unit events; meets the database away (as a
    PostgreSQL restart looks to SQLAlchemy) twice as often as the event's attempts."""
    name = "intake"

    @on_event("directory.unit_upserted")
    def unit_upserted(self, event):
        CALLS.append(time.monotonic())
        if len(CALLS) <= 6:
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))


def test_an_outage_costs_an_event_no_attempts_and_never_dead_letters_it(container_factory,
                                                                         make_settings,
                                                                         tmp_path):
    CALLS.clear()
    settings = make_settings("intake", f"sqlite:///{tmp_path}/x.db")
    assert settings.max_attempts == 3
    container_factory(DatabaseAwayAWhile, settings.nameko_config()).start()
    publish(settings, unit_event())
    # Six tries fail with the database away (twice the attempts an event has), the
    # seventh succeeds: the event waited the outage out instead of being parked.
    assert wait_for(lambda: len(CALLS) == 7, timeout=20), len(CALLS)
    eventlet.sleep(0.5)
    assert len(CALLS) == 7 and inspect(settings.amqp_uri, settings.namespace) == []


# --- a small counting consumer on a real database --------------------------------------
counter_metadata = MetaData()
plumbing_tables(counter_metadata)
seen_units = Table("seen_units", counter_metadata,
                   Column("id", Integer, primary_key=True, autoincrement=True),
                   Column("unit_id", String(60), nullable=False))


COUNTING_DB = {}
BATCHES = []  # the size of each batch a Counting handled
POISON = "坏单位"  # a unit event Counting's handler always fails on


class Counting:
    """Counts the units it sees, in batches as every service consumes."""
    name = "intake"

    @on_event("directory.unit_upserted", batched=True)
    def units_upserted(self, events):
        BATCHES.append(len(events))
        eventlet.sleep(0.1)  # a slow batch: what arrives meanwhile makes the next one

        def apply(uow, event):
            if event["unit"]["name"] == POISON:
                raise RuntimeError("this unit cannot be applied")
            uow.execute(insert(seen_units).values(unit_id=event["unit"]["id"]))
        handle_each(COUNTING_DB["db"], "counting", events, apply)


def _count(db):
    with db.engine.connect() as connection:
        total = connection.execute(select(func.count()).select_from(seen_units)).scalar_one()
        distinct = connection.execute(select(func.count(seen_units.c.unit_id.distinct()))
                                      ).scalar_one()
    return total, distinct


def counting_database(databases):
    """The counting table on a fresh database: (the Database, its URL)."""
    url = databases.url("intake", migrate=False)
    db = Database(url, counter_metadata)
    counter_metadata.create_all(db.engine)
    COUNTING_DB["db"] = db
    return db, url


@both_backends
def test_duplicates_count_once_and_a_killed_consumer_loses_nothing(container_factory,
                                                                   make_settings, databases):
    db, url = counting_database(databases)
    # Batches of five: the kill lands with some applied and many not.
    settings = dataclasses.replace(make_settings("intake", url), event_batch=5)

    batch = [unit_event(f"单位{i}") for i in range(60)]
    first = container_factory(Counting, settings.nameko_config())
    first.start()
    for event in batch:
        publish(settings, event)
    publish(settings, batch[0])  # a duplicate delivery
    assert wait_for(lambda: _count(db)[0] >= 10)
    first.kill()  # dies with messages in flight and unacked
    # The kill landed mid-stream: some were applied, not all.
    assert 10 <= _count(db)[1] < 60, _count(db)

    second = container_factory(Counting, settings.nameko_config())
    second.start()
    for event in batch[:5]:
        publish(settings, event)  # more duplicates after the restart
    assert wait_for(lambda: _count(db)[1] == 60, timeout=20)
    eventlet.sleep(0.5)
    assert _count(db) == (60, 60)
    queue = topology.consumer_queue(settings.namespace, "intake", "directory.unit_upserted")
    with Connection(settings.amqp_uri) as connection:
        assert queue(connection.channel()).queue_declare(passive=True).message_count == 0
    db.dispose()


@both_backends
def test_a_batch_applies_each_event_once_and_a_bad_event_fails_alone(container_factory,
                                                                    make_settings, databases):
    """Events that wait while a batch is at work make the next batch (one transaction).
    A batch with an event that cannot be applied rolls back whole; its events are then
    handled one by one: the others once each, the bad one through its retries to the
    dead-letter queue, alone."""
    db, url = counting_database(databases)
    settings = make_settings("intake", url)
    BATCHES.clear()
    good = [unit_event(f"单位{i}") for i in range(40)]
    poison = unit_event(POISON)
    # All waiting before the consumer starts: the first event is a batch by itself, the
    # bad one comes in the next batch with others (the case this test is about).
    for event in good[:20] + [poison] + good[20:] + good[:3]:  # and three duplicates
        publish(settings, event)
    # Only the bad event may ever wait in a retry tier: the good ones of its failed batch
    # are handled again alone at once, not sent through the retries with it.
    tiers = [topology.retry_queue(settings.namespace, "intake", "directory.unit_upserted",
                                  delay) for delay in settings.retry_delays]
    most_retrying, watching = [0], [True]

    def watch_the_retry_tiers():
        with Connection(settings.amqp_uri) as connection:
            channel = connection.channel()
            while watching:
                waiting = sum(tier(channel).queue_declare(passive=True)[1] for tier in tiers)
                most_retrying[0] = max(most_retrying[0], waiting)
                eventlet.sleep(0.01)
    watcher = eventlet.spawn(watch_the_retry_tiers)
    container_factory(Counting, settings.nameko_config()).start()

    dlq = topology.dead_letter_queue(settings.namespace, "intake", "directory.unit_upserted")
    try:
        assert wait_for(lambda: _count(db)[1] == 40 and dict(
            inspect(settings.amqp_uri, settings.namespace)).get(dlq.name) == 1, timeout=30)
        eventlet.sleep(0.5)
    finally:
        watching.clear()
        watcher.wait()
    assert most_retrying[0] == 1, most_retrying  # the bad event, and it alone
    assert _count(db) == (40, 40)
    assert max(BATCHES) > 1, BATCHES  # batches were made
    # The bad event's batch failed once; then it was tried alone max_attempts times.
    assert BATCHES.count(1) >= settings.max_attempts
    with Connection(settings.amqp_uri) as connection:
        parked = connection.SimpleQueue(dlq.name).get(timeout=5)
        assert json.loads(parked.body)["unit"]["name"] == POISON
        parked.ack()
