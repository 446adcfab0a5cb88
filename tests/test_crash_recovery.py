"""Killing and restarting real service processes loses nothing and applies nothing twice."""
import json
import time
import uuid
from datetime import datetime, timezone

import pytest
from kombu import Connection
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import func, select

from minyi_common import events, topology
from minyi_common.amqp import ConfirmingPublisher, ensure_topology
from minyi_common.db import Database, OutboxRelay
from minyi_common.testing import both_backends, race
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


def committed_events(db, count) -> list:
    """``count`` submissions written to the outbox and committed, as a service does."""
    written = [submitted() for _ in range(count)]
    with db.unit_of_work() as uow:
        for event in written:
            uow.emit(event)
        uow.commit()
    return written


def queue_depth(amqp_uri, queue) -> int:
    with Connection(amqp_uri) as connection:
        return queue(connection.channel()).queue_declare(passive=True).message_count


def drain_bodies(amqp_uri, queue_name) -> list:
    bodies = []
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        while (message := channel.basic_get(queue_name, no_ack=True)) is not None:
            bodies.append(message.body)
    return bodies


def drain_ids(amqp_uri, queue_name) -> list:
    return [json.loads(body)["event_id"] for body in drain_bodies(amqp_uri, queue_name)]


def purge(amqp_uri, queue_name) -> None:
    with Connection(amqp_uri) as connection:
        connection.channel().queue_purge(queue_name)


def env_for(settings, service, db_url):
    return {"AMQP_URI": settings.amqp_uri, "MINYI_NAMESPACE": settings.namespace,
            f"{service.upper()}_DB_URL": db_url, "MINYI_RETRY_DELAYS": "0.2,0.5",
            "MINYI_OUTBOX_POLL": "0.2"}


AUTHOR = {"id": "p-author", "username": "zhang", "roles": ["member"], "unit_ids": []}
GOOD = {"title": "关于加强农村饮水安全的建议", "category": "rural",
        "situation": "部分偏远山村仍靠山泉水和浅井取水，旱季断水，雨季浑浊。" * 2,
        "analysis": "管网老化、管护经费不足，村级管水员缺少培训，水质检测频次偏低。" * 2,
        "suggestions": "一是纳入县级财政预算；二是建立村级管水员制度；三是每季度抽检水质。"}


@both_backends
def test_events_committed_before_a_crash_are_published_on_restart(make_settings, databases,
                                                                  tmp_path):
    """intake is SIGKILLed in the middle of a flood of submissions, at a moment when some
    committed reports' events are not published yet (the test looks); after a restart
    every committed report's event reaches review's queue."""
    url = databases.url("intake")
    # A namespace of its own, with nothing declared (the fixture's comes declared): the
    # queues this test drains exist only if intake declares them as it starts.
    settings = make_settings("intake", url, namespace=f"t{uuid.uuid4().hex[:10]}")
    # A short lease: what the killed relay had claimed goes out 3 s later, not 10.
    env = {**env_for(settings, "intake", url), "MINYI_OUTBOX_LEASE": "3"}
    log = str(tmp_path / "intake.log")
    db = Database(url, intake_metadata)
    reports, outbox = intake_metadata.tables["reports"], intake_metadata.tables["outbox"]

    def count(table=reports, *where):
        with db.engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(table)
                                      .where(*where)).scalar_one()

    unpublished_at_kill = 0
    for _ in range(3):  # a kill that lands after the relay caught up proves nothing: again
        before = count()
        intake = ServiceProcess("intake", env, log).start()
        assert eventually(intake.started, timeout=30), intake.tail()
        with ServiceRpcProxy("intake", settings.nameko_config()) as rpc:
            for _ in range(300):
                rpc.create_report.call_async(AUTHOR, GOOD)
            assert eventually(lambda: count() >= before + 30, timeout=30), intake.tail()
            intake.kill()
        unpublished_at_kill = count(outbox, outbox.c.published_at.is_(None))
        if unpublished_at_kill:
            break
    assert unpublished_at_kill, "every kill came after the relay had published everything"

    purge(settings.amqp_uri, "rpc-intake")  # requests the dead intake left: not this test's
    # Down for a moment, as a crashed process is: what it left is older than any "recent"
    # a relay might look at (a restart within a second hid a relay that only did that).
    time.sleep(2)
    intake = ServiceProcess("intake", env, log).start()
    try:
        assert eventually(lambda: count(outbox, outbox.c.published_at.is_(None)) == 0, timeout=30)
    finally:
        intake.stop()
    with db.engine.connect() as connection:
        committed = set(connection.execute(select(reports.c.id)).scalars())
    db.dispose()
    queue = topology.queue_name(settings.namespace, "review", "report_submitted")
    published = [json.loads(body)["report_id"] for body in drain_bodies(settings.amqp_uri,
                                                                       queue)]
    with Connection(settings.amqp_uri) as connection:
        topology.delete(connection, settings.namespace, settings.retry_delays)
    assert set(published) == committed  # duplicates allowed (a publish not yet marked)
    print(f"\n{len(committed)} reports committed, {unpublished_at_kill} unpublished at the "
          f"kill, {len(published)} events published")


@both_backends
def test_a_relay_that_dies_mid_batch_republishes_rather_than_loses(make_settings, databases):
    """The relay publishes outside any transaction under a lease: dying after publishing
    two rows and before marking any leaves all three claimed; when the lease runs out
    another relay (another instance, or this one restarted) publishes all three again."""
    url = databases.url("intake")
    settings = make_settings("intake", url)
    ensure_topology(settings.amqp_uri, settings.namespace, settings.retry_delays)
    db = Database(url, intake_metadata)
    written = committed_events(db, 3)
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
def test_a_relay_publishing_several_at_once_marks_what_went_out_and_keeps_the_rest(
        databases):
    """The services' relay has several events awaiting their confirms at once. When the
    broker fails one of them: those confirmed are marked published, the failed one and
    those not begun stay in the outbox, free for the next pass (no lease to wait out),
    and the failure is raised (the relay backs off)."""
    import eventlet
    url = databases.url("intake")
    db = Database(url, intake_metadata)
    written = committed_events(db, 12)
    confirmed, failed = [], []

    def publish(event_type, body):
        event_id = json.loads(body)["event_id"]
        eventlet.sleep(0.01 * (len(confirmed) % 3))  # confirms arrive out of order
        if event_id == written[5]["event_id"] and not failed:
            failed.append(event_id)
            raise ConnectionResetError("the broker closed the connection")
        confirmed.append(event_id)

    relay = OutboxRelay(db, publish, fan_out=eventlet.GreenPool(4).imap)
    with pytest.raises(ConnectionResetError):
        relay.relay_once()
    assert 0 < len(confirmed) < 12 and relay.backlog() == 12 - len(confirmed)
    rest = 12 - len(confirmed)
    assert relay.relay_once() == rest and relay.backlog() == 0  # at once: no lease held
    assert sorted(confirmed) == sorted(e["event_id"] for e in written), "lost or twice"
    db.dispose()


@both_backends
def test_relays_of_several_instances_publish_each_event_once(make_settings, databases):
    """Four instances' relays drain one outbox at the same moment: each row is claimed by
    one of them (FOR UPDATE SKIP LOCKED on PostgreSQL, the writer lock on SQLite), so each
    event goes out once and none is left."""
    url = databases.url("intake")
    db = Database(url, intake_metadata)
    written = committed_events(db, 400)
    published = []
    relays = [OutboxRelay(Database(url, intake_metadata),
                          lambda t, body: published.append(json.loads(body)["event_id"]),
                          batch_size=10) for _ in range(4)]

    def drain(relay):
        claimed = 0
        while (batch := relay.relay_once()):
            claimed += batch
        return claimed

    shares = race(*[lambda r=r: drain(r) for r in relays])
    assert not [s for s in shares if isinstance(s, Exception)], shares
    assert sorted(published) == sorted(e["event_id"] for e in written), \
        f"{len(published) - len(set(published))} published twice"
    assert relays[0].backlog() == 0
    for relay in relays:
        relay.db.dispose()
    db.dispose()


@both_backends
def test_an_event_the_broker_returns_stays_in_the_outbox(make_settings, databases):
    """Published ``mandatory``: with no queue bound for its type (here: no topology yet)
    the broker returns the event; the row stays unpublished and goes out once the queues
    exist, instead of vanishing."""
    url = databases.url("intake")
    # A namespace of its own: the fixture's comes with its topology declared.
    settings = make_settings("intake", url, namespace=f"t{uuid.uuid4().hex[:10]}")
    db = Database(url, intake_metadata)
    [event] = committed_events(db, 1)
    publisher = ConfirmingPublisher(settings.amqp_uri)
    try:
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
        queue = topology.queue_name(settings.namespace, "review", "report_submitted")
        assert event["event_id"] in drain_ids(settings.amqp_uri, queue)
    finally:
        publisher.close()
        db.dispose()
        with Connection(settings.amqp_uri) as connection:
            topology.delete(connection, settings.namespace, settings.retry_delays)


@both_backends
def test_a_consumer_killed_mid_stream_loses_nothing_and_counts_once(make_settings, databases,
                                                                    tmp_path):
    url = databases.url("scoring")
    settings = make_settings("scoring", url)
    log = str(tmp_path / "scoring.log")
    # Small batches, each its own commit, so that the kill lands mid-stream however fast
    # the machine (with batches of 50, 600 events went by before the kill).
    env = {**env_for(settings, "scoring", url), "MINYI_EVENT_BATCH": "5"}
    scoring = ServiceProcess("scoring", env, log).start()
    reports = [str(uuid.uuid4()) for _ in range(600)]
    db = Database(url, scoring_metadata)
    lines = scoring_metadata.tables["score_lines"]
    processed = scoring_metadata.tables["processed_events"]

    def ids_of(table, with_report=False):
        columns = (table.c.id, table.c.report_id) if with_report else (table.c.id,)
        with db.engine.connect() as connection:
            rows = connection.execute(select(*columns)).all()
        return {tuple(row) if with_report else row[0] for row in rows}

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

        scoring = ServiceProcess("scoring", env, log).start()
        for event in batch[-10:]:  # and duplicates after the restart
            publisher.publish_event(settings.namespace, event["event_type"], json.dumps(event))
        assert eventually(lambda: count(processed) == len(reports), timeout=60)
        queue = topology.consumer_queue(settings.namespace, "scoring", "report_adopted")
        assert eventually(lambda: queue_depth(settings.amqp_uri, queue) == 0, timeout=10)

        # Recomputing gives the same lines, so a duplicate applied again would not show in
        # the points: it shows in the lines' ids (a recompute replaces them). Copies of
        # events handled long ago, then one new event behind them.
        line_ids = ids_of(lines)
        for event in batch[:10]:
            publisher.publish_event(settings.namespace, event["event_type"], json.dumps(event))
        last = adopted(str(uuid.uuid4()))
        publisher.publish_event(settings.namespace, last["event_type"], json.dumps(last))
        assert eventually(lambda: count(processed) == len(reports) + 1, timeout=30)
        assert eventually(lambda: queue_depth(settings.amqp_uri, queue) == 0, timeout=10)
        time.sleep(0.5)  # a copy still in a worker's hands has its chance to write
        kept = {i for i, report in ids_of(lines, with_report=True)
                if report != last["report_id"]}
        assert kept == line_ids, "a duplicate was applied again (its lines were replaced)"
        reports.append(last["report_id"])
    finally:
        scoring.stop()
        publisher.close()
    # Exactly three lines per report (submitted 0, accepted 1, adopted 5), none twice.
    assert count(lines) == 3 * len(reports)
    assert count(lines, lines.c.report_id) == len(reports)
    db.dispose()
