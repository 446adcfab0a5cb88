"""Operators' view of dead-lettered events: ``python -m minyi_common.dlq list|replay``.

``list`` shows each dead-letter queue with messages, and the error of each message;
``replay [--service S] [--event E]`` moves them back to their consumer's queue with a
fresh attempt count (after the cause is fixed). Messages are republished with a
confirm before they are acked, so a crash in between duplicates, never loses.
"""
import argparse
import json
import sys

from kombu import Connection

from . import config, topology
from .amqp import ConfirmingPublisher
from .nameko import ATTEMPT_HEADER


def _dead_letter_queues(namespace, service=None, event_type=None):
    for svc, event_types in topology.SUBSCRIPTIONS.items():
        if service and svc != service:
            continue
        for et in event_types:
            if event_type and et != event_type:
                continue
            yield svc, et, topology.dead_letter_queue(namespace, svc, et)


def inspect(amqp_uri, namespace) -> list:
    """[(queue name, message count)] of the dead-letter queues that hold messages."""
    found = []
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        for _svc, _et, queue in _dead_letter_queues(namespace):
            _name, count, _consumers = queue(channel).queue_declare(passive=False)
            if count:
                found.append((queue.name, count))
    return found


def replay(amqp_uri, namespace, service=None, event_type=None, limit=None) -> int:
    publisher = ConfirmingPublisher(amqp_uri)
    moved = 0
    try:
        with Connection(amqp_uri) as connection:
            channel = connection.channel()
            for svc, et, queue in _dead_letter_queues(namespace, service, event_type):
                target = topology.queue_name(namespace, svc, et)
                bound = queue(channel)
                # Only what is parked now: an event that fails again at once is parked
                # again behind us, and must wait for the operator's next replay.
                _name, waiting, _consumers = bound.queue_declare(passive=False)
                for _ in range(waiting):
                    if limit is not None and moved >= limit:
                        break
                    message = bound.get(no_ack=False)
                    if message is None:
                        break
                    headers = {k: v for k, v in (message.headers or {}).items()
                               if not k.startswith("x-minyi-")}
                    headers[ATTEMPT_HEADER] = 0
                    publisher.publish(message.body, exchange="", routing_key=target,
                                      headers=headers,
                                      message_id=message.properties.get("message_id"),
                                      content_type=message.content_type,
                                      content_encoding=message.content_encoding)
                    message.ack()
                    moved += 1
    finally:
        publisher.close()
    return moved


def peek(amqp_uri, queue_name, limit=20) -> list:
    """The errors of up to ``limit`` messages, left where they are."""
    seen = []
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        for _ in range(limit):
            message = channel.basic_get(queue_name, no_ack=False)
            if message is None:
                break
            headers = message.headers or {}
            seen.append({"error": headers.get("x-minyi-error"),
                         "attempts": headers.get(ATTEMPT_HEADER),
                         "failed_at": headers.get("x-minyi-failed-at"),
                         "message_id": message.properties.get("message_id")})
        channel.close()  # unacked messages go back to the queue
    return seen


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m minyi_common.dlq")
    parser.add_argument("command", choices=["list", "replay"])
    parser.add_argument("--service")
    parser.add_argument("--event")
    args = parser.parse_args(argv)
    settings = config.load("gateway")
    if args.command == "list":
        queues = inspect(settings.amqp_uri, settings.namespace)
        if not queues:
            print("no dead-lettered events")
        for name, count in queues:
            print(f"{name}: {count}")
            for item in peek(settings.amqp_uri, name):
                print("   ", json.dumps(item, ensure_ascii=False))
        return 0
    moved = replay(settings.amqp_uri, settings.namespace, args.service, args.event)
    print(f"replayed {moved} events")
    return 0


if __name__ == "__main__":
    sys.exit(main())
