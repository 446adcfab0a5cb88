"""Everything of ours that touches nameko: the database dependency (with its outbox
relay), the reliable event entrypoint, and RPC with a deadline.

Service classes import these; domain and service-layer code never do.
"""
import collections
import contextlib
import json
import logging
import random
import sys
import threading
import time
from datetime import datetime, timezone
from functools import partial

import eventlet
from nameko.exceptions import ContainerBeingKilled, UnknownService, deserialize_to_instance
from nameko.extensions import DependencyProvider
from nameko.messaging import Consumer, QueueConsumer
from nameko.amqp.publish import Publisher
from nameko.constants import NON_PERSISTENT
from nameko.rpc import Responder, Rpc, RpcProxy

from . import errors, logs, topology
from .amqp import CONNECTION_ERRORS, ConfirmingPublisher, ensure_topology
from .db import Database, OutboxRelay, Retention
from .events import parse_event
from .metrics import RPC_SECONDS
from .outages import BROKER_OUTAGE, OUTAGES, what_is_away

log = logging.getLogger(__name__)


@contextlib.contextmanager
def _establish_connection(self):
    with self.create_connection() as connection:
        connection.ensure_connection(self.on_connection_error, self.connect_max_retries,
                                     interval_start=0.5, interval_step=1, interval_max=5)
        yield connection


# nameko's consumers (RPC, events, RPC replies) reconnect by themselves through kombu's
# ConsumerMixin, but wait 2, 4, 6 ... up to 30 s between tries: after a minute-long
# broker outage they could lie idle for half a minute with the broker back. Ours try
# again after 0.5, 1.5, 2.5 ... at most 5 s.
QueueConsumer.establish_connection = _establish_connection


def _settling(settle):
    """nameko acks and requeues only if the connection is alive, and swallows amqp's own
    ConnectionError; a socket the broker just closed raises the builtin one (a broken
    pipe, a reset) and took the container down with it: the gateway's reply listener
    acks every answer, so a broker restart killed the gateway mid-burst (500s). The
    message is the broker's again once the connection is gone: nothing to do here."""
    def quietly(self, message):
        try:
            settle(self, message)
        except CONNECTION_ERRORS as exc:
            where = message.delivery_info.get("routing_key")
            BROKER_OUTAGE.noticed(f"settling a message of {where}", exc)
    return quietly


QueueConsumer.ack_message = _settling(QueueConsumer.ack_message)
QueueConsumer.requeue_message = _settling(QueueConsumer.requeue_message)

_consume = QueueConsumer.consume


def _consume_briskly(self, limit=None, timeout=None, safety_interval=1, **kwargs):
    # kombu's consumer loop looks at its stop flag once per second when idle, and nameko
    # stops its consumers one after another: every process took two seconds or more to
    # stop (restarts, scaling down, every test). A quarter of a second is as cheap.
    return _consume(self, limit, timeout, safety_interval=0.25, **kwargs)


QueueConsumer.consume = _consume_briskly


class _TransientPublisher(Publisher):
    """RPC requests and answers live as long as their caller waits (seconds): RabbitMQ
    keeps them in memory instead of writing each to disk before confirming it (nameko
    makes them persistent). Nothing durable rides on them: a service commits its work
    to its own database and publishes events from its outbox, persistent; a request or
    answer lost with a broker crash is a 503 the caller retries (Idempotency-Key).

    An answer is not confirmed either: waiting for the broker's confirm held each worker
    a round trip longer, and an answer it could not take is lost all the same (the
    caller's deadline answers 503). Requests keep their confirm: with ``mandatory`` it is
    how a caller learns at once that no instance of the service is running."""
    delivery_mode = NON_PERSISTENT
    use_confirms = False


Responder.publisher_cls = _TransientPublisher

# Our errors travel through nameko RPC as themselves, not as RemoteError strings.
for _error in errors.ALL:
    deserialize_to_instance(_error)

ATTEMPT_HEADER = "x-minyi-attempt"
# How many times an event waited out an outage (attempts are for the event's own faults).
OUTAGE_HEADER = "x-minyi-outage-waits"

# When the caller gives up on an RPC (the gateway's 503): a request still waiting in the
# queue expires there (per-message TTL), and one already prefetched by a busy service is
# refused when taken up (this header), so a command answered with 503 never runs later.
DEADLINE_HEADER = "x-minyi-deadline"


class DeadlineRpc(Rpc):
    """nameko's @rpc that does not start work its caller stopped waiting for, and that
    survives a broker gone away before the answer could be sent."""

    def handle_message(self, body, message):
        deadline = (message.headers or {}).get(DEADLINE_HEADER)
        if deadline is not None and time.time() > float(deadline):
            log.warning("dropping %s: its caller stopped waiting %.1f s ago",
                        message.delivery_info.get("routing_key"), time.time() - float(deadline))
            try:
                raise errors.ServiceUnavailable("the caller's deadline passed before this "
                                                "request was taken up; nothing was done")
            except errors.ServiceUnavailable:
                self._answer(message, None, sys.exc_info())
            return
        super().handle_message(body, message)

    def handle_result(self, message, worker_ctx, result, exc_info):
        return self._answer(message, result, exc_info)

    def _answer(self, message, result, exc_info):
        # nameko kills the whole container when a worker cannot send its answer; with the
        # broker away that is every worker at once. The caller has its 503 already (its
        # connection is gone too) and retries; the work itself is committed or not, as
        # the worker left it, and the request is not acked, so the broker gives it back
        # (and DeadlineRpc drops it once its caller stopped waiting).
        if exc_info is not None and what_is_away(exc_info[1]) == "the database":
            # A database restarting is a 503 the caller may retry, not a 500: the unit
            # of work rolled back, so nothing was done.
            try:
                raise errors.ServiceUnavailable("the database is not answering") from None
            except errors.ServiceUnavailable:
                exc_info = sys.exc_info()
        try:
            return self.rpc_consumer.handle_result(message, result, exc_info)
        except CONNECTION_ERRORS as exc:
            BROKER_OUTAGE.noticed(f"answering {message.delivery_info.get('routing_key')}", exc)
            return result, exc_info


# Our domain errors are expected: they are answers (a 404, a 409), logged as warnings, not
# as failures with a traceback.
rpc = DeadlineRpc.decorator(expected_exceptions=errors.ALL)


def settings_of(container):
    return container.config["MINYI"]


class Settings(DependencyProvider):
    def get_dependency(self, worker_ctx):
        return settings_of(self.container)


class RequestContext(DependencyProvider):
    """Puts the caller's X-Request-ID (nameko passes it along every RPC as context data)
    on each log line a worker writes."""

    def worker_setup(self, worker_ctx):
        logs.current.request_id = worker_ctx.context_data.get("request_id")

    def worker_teardown(self, worker_ctx):
        logs.current.request_id = None


# Under a burst every commit would wake the relay for a batch of one (two more commits,
# claim and mark, per event), and every event a consumer for a transaction of its own. A
# few milliseconds' wait gathers the events of many. Only in a burst (the last batch
# ended within BURSTING seconds): a lone change's event goes out, and is applied, at once.
BURST_GATHER = 0.02
BURSTING = 0.1
# Events the relay has on the way at once, each on a channel of its own awaiting its
# confirm: one after another, a process busy with requests let each wait for its turn,
# and consumers sat idle while the outbox filled.
RELAY_CONFIRMS_AWAITED = 4


class BackgroundLoop:
    """Runs ``step`` whenever woken, or every ``interval`` seconds, while ``step`` says
    there is more to do; backs off on failures. Used for the outbox relay and for
    notify's deliveries."""

    def __init__(self, name: str, step, interval: float, gather: float = 0.0):
        self.name, self.step, self.interval = name, step, interval
        # After a wake, wait this long before the step: what other workers commit
        # meanwhile goes in the same batch (one claim and one mark for many events).
        self.gather = gather
        self._last_step = float("-inf")
        self._wake = threading.Event()
        self._running = True

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._running = False
        self._wake.set()

    def run(self) -> None:
        failures = 0
        while self._running:
            # Backoff with jitter: the instances of a service do not retry in step.
            pause = self.interval if not failures else \
                min(30.0, self.interval * 2 ** failures) * random.uniform(0.5, 1.0)
            woken = self._wake.wait(pause)
            if woken and self.gather and self._running \
                    and time.monotonic() - self._last_step < BURSTING:
                eventlet.sleep(self.gather)  # in a burst: let the batch fill
            self._wake.clear()
            try:
                while self._running and self.step():
                    pass
                self._last_step = time.monotonic()
                failures = 0
                OUTAGES.over(self.name)
            except Exception as exc:
                failures += 1
                # A broker or a database away is an outage, told once (and its end);
                # anything else is a bug, told with its traceback each time.
                if not OUTAGES.noticed(self.name, exc):
                    log.exception("%s failed (attempt %s); it will try again",
                                  self.name, failures)


class DatabaseProvider(DependencyProvider):
    """Gives each worker the service's ``Database``; runs the outbox relay beside it,
    and the pruning of old outbox rows and event claims.

    Workers commit inside their method (``with db.unit_of_work() as uow: ...;
    uow.commit()``), never in a hook: nameko acks before ``worker_teardown`` runs and
    an exception in a hook kills the container.
    """

    def __init__(self, metadata, relay_outbox=True):
        self.metadata = metadata
        self.relay_outbox = relay_outbox
        self.database = None
        self.loop = None

    def setup(self):
        settings = settings_of(self.container)
        self.database = Database(self.container.config["DB_URL"], self.metadata)
        retention = Retention(self.database)
        self._publisher = relay = None
        if self.relay_outbox:
            self._publisher = ConfirmingPublisher(settings.amqp_uri)
            ns = settings.namespace
            relay = OutboxRelay(self.database, lambda event_type, body: (
                self._publisher.publish_event(ns, event_type, body)),
                lease=settings.outbox_lease,
                fan_out=eventlet.GreenPool(RELAY_CONFIRMS_AWAITED).imap)

        def step():
            retention.maybe_prune()
            return relay is not None and relay.relay_once() == relay.batch_size

        self.loop = BackgroundLoop("outbox relay", step, settings.outbox_poll_interval,
                                   gather=BURST_GATHER)
        self.database.after_commit_with_events.append(self.loop.wake)

    def start(self):
        settings = settings_of(self.container)
        if self.relay_outbox:
            ensure_topology(settings.amqp_uri, settings.namespace, settings.retry_delays)
        self._gt = self.container.spawn_managed_thread(self.loop.run)

    def stop(self):
        self.loop.stop()
        self._gt.wait()
        if self._publisher is not None:
            self._publisher.close()
        self.database.dispose()

    def kill(self):
        if self.loop is not None:
            self.loop.stop()
        if self.database is not None:
            self.database.dispose()

    def get_dependency(self, worker_ctx):
        return self.database


class Background(DependencyProvider):
    """Long jobs a worker starts and does not wait for, in threads the container
    manages (stopped with it). One job per key at a time: asked again while it runs, it
    runs once more afterwards, so the last request is always served."""

    def setup(self):
        self.again = {}

    def get_dependency(self, worker_ctx):
        return self

    def once(self, key: str, job, *args, **kwargs) -> None:
        if key in self.again:
            self.again[key] = True
            return
        self.again[key] = False

        def run():
            try:
                while True:
                    job(*args, **kwargs)
                    if not self.again.get(key):
                        return
                    self.again[key] = False
            except Exception:
                log.exception("background job %s failed", key)
            finally:
                self.again.pop(key, None)
        self.container.spawn_managed_thread(run, identifier=f"background:{key}")


def service_stats(database: Database) -> dict:
    """What every service tells /metrics about itself."""
    return {"outbox_backlog": OutboxRelay(database, None).backlog()}


def database_of(container, attr_name: str = "db") -> Database:
    """The ``Database`` of a container's DatabaseProvider (for other extensions)."""
    return next(d for d in container.dependencies if d.attr_name == attr_name).database


class _EventQueueConsumer(QueueConsumer):
    """Events come on a connection of their own, with a deeper prefetch than RPC's (a
    service's worker count): a batch can only hold what the broker has handed over, and
    the next batch gathers while one is at work. Kept apart, RPC requests still wait in
    the broker while every worker is busy."""

    @property
    def prefetch_count(self):
        return 2 * settings_of(self.container).event_batch


class EventConsumer(Consumer):
    """Consumes one event type from this service's own durable queue.

    Never drops a message: a failing handler's message goes to a retry tier (a queue
    whose messages expire back into the main queue after a delay), with growing delays,
    and after ``max_attempts`` to the dead-letter queue, where an operator inspects and
    replays it (``python -m minyi_common.dlq``). The copy is published (with a confirm)
    before the original is acked, so a crash in between duplicates, never loses. An event
    that fails its contract cannot succeed later and goes to the dead-letter queue at once.

    ``batched``: the method gets a list of the events waiting (at most ``event_batch``),
    to apply in one transaction: under a burst, one commit for many events instead of one
    each. One batch at a time per queue and process: what arrives meanwhile makes the next
    batch, so a lone event is handled at once and a burst in growing batches. The events
    of a batch are acked once it returned (committed); if it fails, each of its events is
    handled again alone, and only the failing ones take the retry path. Otherwise the
    method gets one event per call.
    """
    queue_consumer = _EventQueueConsumer()

    def __init__(self, event_type, batched=False, **kwargs):
        self.event_type = event_type
        self.batched = batched
        super().__init__(queue=None, requeue_on_error=False, **kwargs)

    def setup(self):
        settings = settings_of(self.container)
        service = self.container.service_name
        if self.event_type not in topology.SUBSCRIPTIONS.get(service, ()):
            raise RuntimeError(f"{service} consumes {self.event_type} but "
                               "minyi_common.topology.SUBSCRIPTIONS does not say so")
        self.settings = settings
        self.queue = topology.consumer_queue(settings.namespace, service, self.event_type)
        self._job = f"{self.event_type} handler"
        self._batch_limit = settings.event_batch if self.batched else 1
        self._waiting = []               # (event, message): taken from the queue, not begun
        self._alone = collections.deque()  # of a failed batch: each handled by itself
        self._busy = self._stopping = self._gathering = False
        self._last_batch_end, self._last_batch_size = float("-inf"), 0
        ensure_topology(settings.amqp_uri, settings.namespace, settings.retry_delays)
        self.publisher = ConfirmingPublisher(settings.amqp_uri)
        super().setup()

    def stop(self):
        # Nothing new begins; what waits here unacked goes back to the queue with the
        # connection.
        self._stopping = True
        super().stop()
        self.publisher.close()

    def handle_message(self, body, message):
        if isinstance(body, (bytes, str)):
            try:
                body = json.loads(body)
            except ValueError:
                body = None
        try:
            event = parse_event(body)
        except errors.ValidationFailed as exc:
            log.error("dead-lettering an event that breaks its contract: %s %s",
                      exc.detail, exc.errors)
            self._park(message, f"contract: {exc.detail} {exc.errors}", attempt=1)
            return
        self._waiting.append((event, message))
        self._begin_next()

    def _begin_next(self, gathered=False):
        """Hand the next batch to a worker, unless one is at work on this queue. (No
        yield between the check and the take: green threads cannot interleave here.)"""
        if self._busy or self._stopping or self._gathering:
            return
        if (not gathered and not self._alone and self.batched
                and 0 < len(self._waiting) < self._batch_limit
                and self._last_batch_size > 1
                and time.monotonic() - self._last_batch_end < BURSTING):
            # In a burst (the last batch, a moment ago, held several events), a few
            # milliseconds more make a fuller batch: fewer transactions for the same
            # events. Events that come one by one begin at once.
            self._gathering = True
            eventlet.spawn_after(BURST_GATHER, self._gathered)
            return
        if self._alone:
            batch = [self._alone.popleft()]
        elif self._waiting:
            batch = self._waiting[:self._batch_limit]
            del self._waiting[:self._batch_limit]
        else:
            return
        self._busy = True
        events = [event for event, _ in batch]
        # A batch of one carries its message's context (the request id for the logs).
        context = self.unpack_message_headers(batch[0][1]) if len(batch) == 1 else {}
        try:
            self.container.spawn_worker(
                self, (events if self.batched else events[0],), {}, context_data=context,
                handle_result=partial(self.handle_result, batch))
        except ContainerBeingKilled:
            for _, message in batch:
                self.queue_consumer.requeue_message(message)

    def _gathered(self):
        self._gathering = False
        self._begin_next(gathered=True)

    def handle_result(self, batch, worker_ctx, result=None, exc_info=None):
        if exc_info is not None and len(batch) > 1:
            # Nothing of the batch was applied (one transaction): each event again by
            # itself, so one bad event neither holds up the others nor drags them
            # through its retries.
            log.warning("a batch of %s %s events failed (%s: %s); handling each alone",
                        len(batch), self.event_type, exc_info[0].__name__, exc_info[1])
            self._alone.extend(batch)
        else:
            for _, message in batch:
                self.handle_message_processed(message, result, exc_info)
        self._busy = False
        self._last_batch_end, self._last_batch_size = time.monotonic(), len(batch)
        # Not from this worker itself: with every worker of the pool finishing a batch
        # at once, each would wait for a free worker that only its own end could free.
        eventlet.spawn_n(self._begin_next)
        return result, exc_info

    def handle_message_processed(self, message, result=None, exc_info=None):
        # A lost broker cannot escape from here (it would end the container): acks and
        # requeues go through QueueConsumer's patched settling above, and _republish
        # catches its own publish. An event not acked comes back after the reconnection.
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            OUTAGES.over(self._job)
            return
        headers = message.headers or {}
        error = f"{exc_info[0].__name__}: {exc_info[1]}"
        if what_is_away(exc_info[1]) == "the database" and OUTAGES.noticed(self._job,
                                                                            exc_info[1]):
            # The database is away: the event is not at fault, so this
            # costs it no attempt and never sends it to the dead-letter queue; it waits
            # in the retry tiers, longer each time, until the outage is over.
            waits = int(headers.get(OUTAGE_HEADER, 0)) + 1
            delays = self.settings.retry_delays
            target = topology.retry_queue(self.settings.namespace, self.container.service_name,
                                          self.event_type, delays[min(waits, len(delays)) - 1])
            self._republish(message, target.name, int(headers.get(ATTEMPT_HEADER, 0)), error,
                            {OUTAGE_HEADER: waits})
            return
        attempt = int(headers.get(ATTEMPT_HEADER, 0)) + 1
        if attempt < self.settings.max_attempts:
            delays = self.settings.retry_delays
            delay = delays[min(attempt - 1, len(delays) - 1)]
            target = topology.retry_queue(self.settings.namespace, self.container.service_name,
                                          self.event_type, delay)
            log.warning("handler for %s failed (attempt %s, %s); retrying in %ss",
                        self.event_type, attempt, error, delay)
            self._republish(message, target.name, attempt, error)
        else:
            self._park(message, error, attempt)

    def _park(self, message, error, attempt):
        target = topology.dead_letter_queue(self.settings.namespace,
                                            self.container.service_name, self.event_type)
        log.error("dead-lettering %s after %s attempts: %s", self.event_type, attempt, error)
        self._republish(message, target.name, attempt, error)

    def _republish(self, message, queue_name, attempt, error, extra_headers=None):
        headers = dict(message.headers or {})
        headers.update({ATTEMPT_HEADER: attempt, "x-minyi-error": error[:1000],
                        "x-minyi-failed-at": datetime.now(timezone.utc).isoformat(),
                        **(extra_headers or {})})
        try:
            self.publisher.publish(message.body, exchange="", routing_key=queue_name,
                                   headers=headers,
                                   message_id=message.properties.get("message_id"),
                                   content_type=message.content_type,
                                   content_encoding=message.content_encoding)
        except Exception as exc:
            # The broker would not take the copy: give the original back instead, so
            # nothing is lost. It comes back after the channel's redelivery.
            if isinstance(exc, CONNECTION_ERRORS):
                BROKER_OUTAGE.noticed(f"parking a failed {self.event_type}", exc)
            else:
                log.exception("could not park a failed %s; requeueing it", self.event_type)
            eventlet.sleep(1)
            self.queue_consumer.requeue_message(message)
            return
        self.queue_consumer.ack_message(message)


on_event = EventConsumer.decorator


def consume_each(service_cls, event_types, handler_name: str) -> None:
    """Give ``service_cls`` one batched consumer entrypoint per event type, each calling
    the method ``handler_name(events)`` with the batch (see EventConsumer): for services
    that treat several events alike."""
    for event_type in event_types:
        def consume(self, events):
            return getattr(self, handler_name)(events)
        consume.__name__ = consume.__qualname__ = "on_" + event_type.replace(".", "_")
        setattr(service_cls, consume.__name__, on_event(event_type, batched=True)(consume))


class _DeadlineProxy:
    def __init__(self, proxy, service, timeout):
        self._proxy, self._service, self._timeout = proxy, service, timeout

    def within(self, timeout: float) -> "_DeadlineProxy":
        """The same proxy with another deadline (readiness probes want a short one)."""
        return _DeadlineProxy(self._proxy, self._service, timeout)

    def __getattr__(self, name):
        method = getattr(self._proxy, name)

        def call(*args, **kwargs):
            # The request lives no longer than this caller waits (see DeadlineRpc).
            method.publisher.expiration = self._timeout
            method.publisher.publish_kwargs = {
                **method.publisher.publish_kwargs,
                "headers": {DEADLINE_HEADER: f"{time.time() + self._timeout:.3f}"}}
            timer = eventlet.Timeout(self._timeout)
            started, outcome = time.perf_counter(), "error"
            try:
                answer = method(*args, **kwargs)
                outcome = "ok"
                return answer
            except errors.DomainError:
                outcome = "refused"  # an answer (404, 409, ...), not a failure
                raise
            except eventlet.Timeout as fired:
                if fired is not timer:
                    raise
                outcome = "timeout"
                raise errors.ServiceUnavailable(
                    f"the {self._service} service did not answer within {self._timeout:g} s")
            except UnknownService:
                raise errors.ServiceUnavailable(f"the {self._service} service is not running")
            except CONNECTION_ERRORS:
                # The broker is away (a restart, a network blip): nothing was sent, so
                # nothing was done; the caller may retry (503 with Retry-After).
                outcome = "no_broker"
                raise errors.ServiceUnavailable("the message broker is not answering") from None
            finally:
                timer.cancel()
                RPC_SECONDS.labels(self._service, name, outcome).observe(
                    time.perf_counter() - started)
        return call


class TimedRpcProxy(RpcProxy):
    """nameko's RpcProxy waits forever for an answer; this one gives up with 503. Its
    requests are transient (see _TransientPublisher)."""

    def __init__(self, target_service, **options):
        super().__init__(target_service, delivery_mode=NON_PERSISTENT, **options)

    def get_dependency(self, worker_ctx):
        timeout = settings_of(self.container).rpc_timeout
        return _DeadlineProxy(super().get_dependency(worker_ctx), self.target_service, timeout)
