"""The broker topology: one topic exchange for all events, one durable queue per
(consuming service, event type), each with its retry tiers and its dead-letter queue.

Every process declares the whole topology before it publishes or consumes, so no event
is ever published to a routing key with no queue bound (nameko's events are
``mandatory=False`` and would vanish silently).
"""
import time

from amqp.exceptions import NotFound as ChannelNotFound
from kombu import Exchange, Queue

# Who consumes what. A consumer entrypoint refuses to start for a pair not listed here,
# which keeps this table the single truth about the topology.
SUBSCRIPTIONS = {
    "intake": ("directory.person_upserted", "directory.unit_upserted",
               "report_returned", "report_retained", "report_rejected",
               "report_adopted", "report_forwarded", "report_outcome_recorded",
               "link_piece_received"),
    "review": ("report_submitted", "report_resubmitted", "report_withdrawn",
               "report_co_author_declined", "report_imported",
               "directory.person_upserted", "directory.unit_upserted",
               "link_decision_received"),
    "scoring": ("directory.person_upserted", "directory.unit_upserted",
                "report_submitted", "report_resubmitted", "report_withdrawn",
                "report_co_author_declined", "report_imported", "report_returned", "report_retained", "report_rejected",
                "report_adopted", "report_forwarded", "report_outcome_recorded",
                "handoff_created", "handoff_replied", "handoff_rated"),
    "notify": ("directory.person_upserted",
               "report_submitted", "report_resubmitted",  # urgent ones: editors are told
               "report_co_author_declined",  # the author is told
               "report_returned", "report_retained", "report_rejected",
               "report_adopted", "report_forwarded", "report_outcome_recorded",
               "points_changed", "quota_reminder_due", "bulletin_published",
               "handoff_created", "handoff_replied", "handoff_rated", "handoff_reminder_due",
               "appeal_resolved", "commission_issued", "notice_published", "piece_forwarded"),
}


def events_exchange(namespace: str) -> Exchange:
    return Exchange(f"{namespace}.events", type="topic", durable=True)


def queue_name(namespace: str, service: str, event_type: str) -> str:
    return f"{namespace}.{service}.{event_type}"


def consumer_queue(namespace: str, service: str, event_type: str) -> Queue:
    return Queue(queue_name(namespace, service, event_type), exchange=events_exchange(namespace),
                 routing_key=event_type, durable=True)


def retry_queue(namespace: str, service: str, event_type: str, delay: float) -> Queue:
    """A parking queue whose messages expire after ``delay`` back into the main queue.

    The delay is part of the name because RabbitMQ refuses to redeclare a queue with
    other arguments; a changed delay simply makes a new tier.
    """
    main = queue_name(namespace, service, event_type)
    millis = int(delay * 1000)
    return Queue(f"{main}.retry.{millis}ms", durable=True, queue_arguments={
        "x-message-ttl": millis,
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": main,
    })


def dead_letter_queue(namespace: str, service: str, event_type: str) -> Queue:
    return Queue(f"{queue_name(namespace, service, event_type)}.dlq", durable=True)


def all_queues(namespace: str, retry_delays) -> list:
    queues = []
    for service, event_types in SUBSCRIPTIONS.items():
        for event_type in event_types:
            queues.append(consumer_queue(namespace, service, event_type))
            queues.extend(retry_queue(namespace, service, event_type, d) for d in retry_delays)
            queues.append(dead_letter_queue(namespace, service, event_type))
    return queues


def declare(connection, namespace: str, retry_delays, attempts: int = 5) -> None:
    """Declare the exchange and every queue (idempotent; safe from many processes).

    A busy broker sometimes refuses a declaration with 404 "home node ... is down or
    inaccessible" while a queue process starts; the channel is closed by then, so the
    whole declaration is tried again on a new one, a little later.
    """
    for attempt in range(1, attempts + 1):
        channel = connection.channel()
        try:
            events_exchange(namespace)(channel).declare()
            queues = all_queues(namespace, retry_delays)
            # 144 queues, each with its binding: sent without waiting for each answer,
            # then one that is waited for (0.7 → 0.55 s in all; the rest is the broker
            # making queues). The broker carries out a channel's methods in order, so
            # that answer comes only after every declaration before it succeeded; one
            # that failed closes the channel, and the wait raises its error instead.
            for queue in queues:
                queue(channel).declare(nowait=True)
            queues[-1](channel).queue_declare(passive=True)
            return
        except ChannelNotFound:
            if attempt == attempts:
                raise
            time.sleep(0.2 * 2 ** attempt)
        finally:
            try:
                channel.close()
            except Exception:
                pass  # already closed by the broker's refusal


def delete(connection, namespace: str, retry_delays) -> None:
    """Remove what ``declare`` made (tests clean up their own namespace with it)."""
    channel = connection.channel()
    try:
        for queue in all_queues(namespace, retry_delays):
            queue(channel).delete(nowait=True)  # waited for all at once, as in declare
        events_exchange(namespace)(channel).delete()
    finally:
        channel.close()
