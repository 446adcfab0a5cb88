"""Our subclass of nameko's queue consumer, which every entrypoint and proxy of ours
consumes through instead of nameko's own, and the publisher of RPC messages.

nameko lets an extension name the shared extensions it uses (``queue_consumer``,
``rpc_consumer``, ``rpc_reply_listener``, ``publisher_cls``), so these are subclasses
set there, not patches of nameko's classes.
"""
import contextlib

from nameko.amqp.publish import Publisher
from nameko.constants import NON_PERSISTENT
from nameko.messaging import QueueConsumer

from ..amqp import CONNECTION_ERRORS
from ..outages import BROKER_OUTAGE


class BriskQueueConsumer(QueueConsumer):
    """nameko's queue consumer, reconnecting and stopping sooner, and settling messages
    without dying when the broker has just gone."""

    @contextlib.contextmanager
    def establish_connection(self):
        # nameko's consumers reconnect by themselves through kombu's ConsumerMixin, but
        # wait 2, 4, 6 ... up to 30 s between tries: after a minute-long broker outage
        # they could lie idle for half a minute with the broker back. Ours try again
        # after 0.5, 1.5, 2.5 ... at most 5 s.
        with self.create_connection() as connection:
            connection.ensure_connection(self.on_connection_error, self.connect_max_retries,
                                         interval_start=0.5, interval_step=1, interval_max=5)
            yield connection

    def consume(self, limit=None, timeout=None, safety_interval=1, **kwargs):
        # kombu's consumer loop looks at its stop flag once per second when idle, and
        # nameko stops its consumers one after another: every process took two seconds
        # or more to stop (restarts, scaling down, every test). A quarter of a second is
        # as cheap.
        return super().consume(limit, timeout, safety_interval=0.25, **kwargs)

    def ack_message(self, message):
        self._settle(super().ack_message, message)

    def requeue_message(self, message):
        self._settle(super().requeue_message, message)

    @staticmethod
    def _settle(settle, message):
        """nameko acks and requeues only if the connection is alive, and swallows amqp's
        own ConnectionError; a socket the broker just closed raises the builtin one (a
        broken pipe, a reset) and took the container down with it: the gateway's reply
        listener acks every answer, so a broker restart killed the gateway mid-burst
        (500s). The message is the broker's again once the connection is gone: nothing
        to do here."""
        try:
            settle(message)
        except CONNECTION_ERRORS as exc:
            where = message.delivery_info.get("routing_key")
            BROKER_OUTAGE.noticed(f"settling a message of {where}", exc)


class TransientPublisher(Publisher):
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
