"""Killing and restarting real service processes loses nothing and applies nothing twice."""
import json
import uuid
from datetime import datetime, timezone

from kombu import Connection
from sqlalchemy import func, select

from minyi_common import events, topology
from minyi_common.amqp import ConfirmingPublisher, ensure_topology
from minyi_common.db import Database, OutboxRelay
from minyi_common.testing import both_backends
from services.intake.adapters.orm import metadata as intake_metadata
from services.scoring.adapters.orm import metadata as scoring_metadata

from .system import ServiceProcess, eventually


def submitted(report_id=None):
    report_id = report_id or str(uuid.uuid4())
    return events.new_event("report_submitted", "p-1", report_id, report={
        "id": report_id, "author_id": "p-1", "co_author_ids": [], "unit_id": None,
        "title": "关于某事的建议", "category": "other",
        "submitted_at": datetime.now(timezone.utc).isoformat()})


def adopted(report_id):
    event = submitted(report_id)
    return events.new_event("report_adopted", "editor", report_id, report=event["report"],
                            mode="single", level="county",
                            decided_on=datetime.now(timezone.utc).date().isoformat())


def queue_depth(amqp_uri, queue) -> int:
    with Connection(amqp_uri) as connection:
        return queue(connection.channel()).queue_declare(passive=True).message_count


def drain_ids(amqp_uri, queue_name) -> list:
    ids = []
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        while (message := channel.basic_get(queue_name, no_ack=True)) is not None:
            ids.append(json.loads(message.body)["event_id"])
    return ids


def env_for(settings, service, db_url):
    return {"AMQP_URI": settings.amqp_uri, "MINYI_NAMESPACE": settings.namespace,
            f"{service.upper()}_DB_URL": db_url, "MINYI_RETRY_DELAYS": "0.2,0.5",
            "MINYI_OUTBOX_POLL": "0.2"}


@both_backends
def test_events_committed_before_a_crash_are_published_on_restart(make_settings, databases,
                                                                  tmp_path):
    url = databases.url("intake")
    settings = make_settings("intake", url)
    ensure_topology(settings.amqp_uri, settings.namespace, settings.retry_delays)
    db = Database(url, intake_metadata)
    written = [submitted() for _ in range(3)]
    with db.unit_of_work() as uow:  # committed, then the process "died" before relaying
        for event in written:
            uow.emit(event)
        uow.commit()
    db.dispose()

    intake = ServiceProcess("intake", env_for(settings, "intake", url),
                            str(tmp_path / "intake.log")).start()
    try:
        queue = topology.consumer_queue(settings.namespace, "review", "report_submitted")
        assert eventually(lambda: queue_depth(settings.amqp_uri, queue) == 3, timeout=20)
    finally:
        intake.stop()
    assert sorted(drain_ids(settings.amqp_uri, queue.name)) == sorted(
        e["event_id"] for e in written)


@both_backends
def test_a_relay_that_dies_mid_batch_republishes_rather_than_loses(make_settings, databases):
    """The relay publishes outside any transaction under a lease: dying after publishing
    two rows and before marking any leaves all three claimed; when the lease runs out
    another relay (another instance, or this one restarted) publishes all three again."""
    url = databases.url("intake")
    settings = make_settings("intake", url)
    ensure_topology(settings.amqp_uri, settings.namespace, settings.retry_delays)
    db = Database(url, intake_metadata)
    written = [submitted() for _ in range(3)]
    with db.unit_of_work() as uow:
        for event in written:
            uow.emit(event)
        uow.commit()
    publisher = ConfirmingPublisher(settings.amqp_uri)
    sent = []

    class Died(BaseException):
        """Stands for SIGKILL: nothing after it runs, not even the marking."""

    def publish_then_die(event_type, body):
        if len(sent) == 2:
            raise Died()
        publisher.publish_event(settings.namespace, event_type, body)
        sent.append(body)

    dying = OutboxRelay(db, publish_then_die, lease=1.0)
    dying._settle = lambda *args: None  # the process is gone before it marks anything
    try:
        dying.relay_once()
    except Died:
        pass
    relay = OutboxRelay(db, lambda t, b: publisher.publish_event(settings.namespace, t, b))
    assert relay.relay_once() == 0, "rows under another relay's lease were taken"
    assert relay.backlog() == 3
    assert eventually(lambda: relay.relay_once() == 3, timeout=5)  # the lease ran out
    assert relay.backlog() == 0
    publisher.close()
    db.dispose()
    queue = topology.queue_name(settings.namespace, "review", "report_submitted")
    ids = drain_ids(settings.amqp_uri, queue)
    assert len(ids) == 5 and set(ids) == {e["event_id"] for e in written}  # 2 duplicates


@both_backends
def test_an_event_the_broker_returns_stays_in_the_outbox(make_settings, databases):
    """Published ``mandatory``: with no queue bound for its type (here: no topology yet)
    the broker returns the event; the row stays unpublished and goes out once the queues
    exist, instead of vanishing."""
    url = databases.url("intake")
    settings = make_settings("intake", url)
    db = Database(url, intake_metadata)
    event = submitted()
    with db.unit_of_work() as uow:
        uow.emit(event)
        uow.commit()
    publisher = ConfirmingPublisher(settings.amqp_uri)
    with Connection(settings.amqp_uri) as connection:  # the exchange alone, no queues
        topology.events_exchange(settings.namespace)(connection.default_channel).declare()
    relay = OutboxRelay(db, lambda t, b: publisher.publish_event(settings.namespace, t, b),
                        retry_returned_after=0.2)
    assert relay.relay_once() == 1 and relay.backlog() == 1
    ensure_topology(settings.amqp_uri, settings.namespace, settings.retry_delays)
    assert eventually(lambda: relay.relay_once() == 1 and relay.backlog() == 0, timeout=5)
    # The failed publish left no stale confirm behind: the next publish is confirmed too.
    with db.unit_of_work() as uow:
        uow.emit(submitted())
        uow.commit()
    assert relay.relay_once() == 1 and relay.backlog() == 0
    publisher.close()
    db.dispose()
    queue = topology.queue_name(settings.namespace, "review", "report_submitted")
    assert event["event_id"] in drain_ids(settings.amqp_uri, queue)


@both_backends
def test_a_consumer_killed_mid_stream_loses_nothing_and_counts_once(make_settings, databases,
                                                                    tmp_path):
    url = databases.url("scoring")
    settings = make_settings("scoring", url)
    log = str(tmp_path / "scoring.log")
    scoring = ServiceProcess("scoring", env_for(settings, "scoring", url), log).start()
    # Enough that the kill lands mid-stream on a fast machine too.
    reports = [str(uuid.uuid4()) for _ in range(600)]
    db = Database(url, scoring_metadata)
    lines = scoring_metadata.tables["score_lines"]
    processed = scoring_metadata.tables["processed_events"]

    def count(table, column=None):
        with db.engine.connect() as connection:
            what = func.count(column.distinct()) if column is not None else func.count()
            return connection.execute(select(what).select_from(table)).scalar_one()

    publisher = ConfirmingPublisher(settings.amqp_uri)
    try:
        ensure_topology(settings.amqp_uri, settings.namespace, settings.retry_delays)
        batch = [adopted(r) for r in reports]
        for event in batch + batch[:20]:  # 20 duplicates on the way
            publisher.publish_event(settings.namespace, event["event_type"], json.dumps(event))
        assert eventually(lambda: count(processed) >= 10, timeout=30)
        scoring.kill()
        assert count(processed) < len(reports), "killed too late to prove anything"

        scoring = ServiceProcess("scoring", env_for(settings, "scoring", url), log).start()
        for event in batch[-10:]:  # and duplicates after the restart
            publisher.publish_event(settings.namespace, event["event_type"], json.dumps(event))
        assert eventually(lambda: count(processed) == len(reports), timeout=60)
        queue = topology.consumer_queue(settings.namespace, "scoring", "report_adopted")
        assert eventually(lambda: queue_depth(settings.amqp_uri, queue) == 0, timeout=10)
    finally:
        scoring.stop()
        publisher.close()
    # Exactly three lines per report (submitted 0, accepted 1, adopted 5), none twice.
    assert count(lines) == 3 * len(reports)
    assert count(lines, lines.c.report_id) == len(reports)
    db.dispose()
