"""The event entrypoint: an event consumer that never drops a message (retries with
growing delays, then the dead-letter queue) and applies bursts in batches."""
import collections
import json
import logging
import time
from datetime import datetime, timezone
from functools import partial

import eventlet
from nameko.exceptions import ContainerBeingKilled
from nameko.messaging import Consumer

from .. import errors, topology
from ..amqp import CONNECTION_ERRORS, ConfirmingPublisher, ensure_topology
from ..events import parse_event
from ..outages import BROKER_OUTAGE, OUTAGES, what_is_away
from .dependencies import BURST_GATHER, BURSTING, settings_of
from .queues import BriskQueueConsumer

log = logging.getLogger(__name__)

ATTEMPT_HEADER = "x-minyi-attempt"
# How many times an event waited out an outage (attempts are for the event's own faults).
OUTAGE_HEADER = "x-minyi-outage-waits"


class _EventQueueConsumer(BriskQueueConsumer):
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
        # requeues go through BriskQueueConsumer's settling, and _republish
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

