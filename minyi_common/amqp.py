"""Publishing with publisher confirms, and the broker checks every process makes."""
import logging
import socket
import time

from amqp import transport as amqp_transport
from amqp.exceptions import ChannelError
from amqp.exceptions import ConnectionError as AmqpConnectionError
from kombu import Connection
from kombu.exceptions import OperationalError
from kombu.pools import ProducerPool

from . import topology

NO_ROUTE = 312  # AMQP reply code of a returned mandatory message
# What a broker that is restarting or gone looks like from here.
CONNECTION_ERRORS = (OSError, OperationalError, AmqpConnectionError)
log = logging.getLogger(__name__)


# py-amqp reads a frame as three exact reads (header, payload, end octet), each a
# receive call of its own: nine for a delivered message (and, when nothing has come
# yet, a wait for eventlet's hub besides). In a burst the socket holds many frames
# at once; asking for what is there (up to this much) serves the next frames from
# py-amqp's own read buffer, which its reader already keeps for what a read returns
# beyond the frame it wanted. Not more than a few messages' worth: py-amqp copies what
# is left of its buffer after each piece it takes. Measured (strace, 1,000 reports
# submitted on PostgreSQL): receive calls 16,894 -> 6,177 in the gateway, 18,611 ->
# 8,046 in intake, 10,698 -> 2,296 in review (64 KiB did no better); the CPU this
# saves (a few per cent) is within the machine's drift.
READ_AHEAD = 16 * 1024


def _reading_ahead(setup_transport):
    def setup(self):
        setup_transport(self)
        recv = self.sock.recv
        self._quick_recv = lambda wanted: recv(max(wanted, READ_AHEAD))
    return setup


amqp_transport.TCPTransport._setup_transport = _reading_ahead(
    amqp_transport.TCPTransport._setup_transport)


class Unroutable(Exception):
    """The broker returned a mandatory message: no queue is bound for its routing key."""


class ConfirmingPublisher:
    """Publishes persistent messages and waits for the broker's confirm of each, at most
    ``confirm_timeout`` seconds (then it raises: the caller keeps the message)."""

    def __init__(self, amqp_uri: str, pool_size: int = 10, confirm_timeout: float = 10.0):
        # A pool of its own: kombu's global pools are shared by every connection with the
        # same URI, and closing one publisher would close them for all.
        self.connection = Connection(amqp_uri, transport_options={"confirm_publish": True})
        self._producers = ProducerPool(self.connection.Pool(limit=pool_size), limit=pool_size)
        self.confirm_timeout = confirm_timeout

    def publish(self, body, exchange, routing_key: str, headers=None, message_id=None,
                content_type="application/json", content_encoding="utf-8", mandatory=False):
        with self._producers.acquire(block=True) as producer:
            try:
                producer.publish(body, exchange=exchange, routing_key=routing_key,
                                 headers=headers or {}, delivery_mode=2,
                                 content_type=content_type, content_encoding=content_encoding,
                                 message_id=message_id, mandatory=mandatory,
                                 timeout=self.confirm_timeout, retry=True,
                                 retry_policy={"max_retries": 3, "interval_start": 0.2,
                                               "interval_step": 0.5})
            except Exception as exc:
                # The channel may still owe a confirm for this message; on a fresh one the
                # next confirm cannot be mistaken for this message's.
                try:
                    producer.connection.close()
                except Exception:
                    pass
                if isinstance(exc, ChannelError) and getattr(exc, "reply_code", None) == NO_ROUTE:
                    raise Unroutable(f"no queue is bound for {routing_key!r}") from exc
                raise

    def publish_event(self, namespace: str, event_type: str, body_json: str, event_id=None):
        """An event, ``mandatory``: the broker returns it when no consumer's queue is bound
        (events would otherwise vanish silently) and this raises ``Unroutable``."""
        self.publish(body_json.encode("utf-8"), topology.events_exchange(namespace), event_type,
                     message_id=event_id, mandatory=True)

    def close(self):
        self._producers.force_close_all()
        self.connection.release()


_declared = set()


def ensure_topology(amqp_uri: str, namespace: str, retry_delays,
                    give_up_after: float = 120.0) -> None:
    """Declare the whole topology once per process (it is idempotent on the broker).

    A broker that goes away meanwhile (a restart while this process starts) is waited
    for: tried again after 0.5 s doubling to 10 s, one log line per outage, for up to
    ``give_up_after`` seconds."""
    key = (amqp_uri, namespace, tuple(retry_delays))
    if key in _declared:
        return
    deadline, pause, told = time.monotonic() + give_up_after, 0.5, False
    while True:
        try:
            with Connection(amqp_uri, connect_timeout=5) as connection:
                topology.declare(connection, namespace, retry_delays)
            break
        except CONNECTION_ERRORS as exc:
            # Told once, at the first refusal, even when that one already ends the wait
            # (under load one attempt can take longer than the whole wait).
            if not told:
                log.warning("the broker is not answering (%s: %s); waiting up to %g s to "
                            "declare the topology", exc.__class__.__name__, exc,
                            give_up_after)
                told = True
            if time.monotonic() + pause > deadline:
                raise
            time.sleep(pause)
            pause = min(10.0, pause * 2)
    if told:
        log.warning("the broker is back; topology declared")
    _declared.add(key)


def check_broker(amqp_uri: str, timeout: float = 5.0) -> str | None:
    """None when the broker answers; otherwise one line saying what and how to start it."""
    try:
        with Connection(amqp_uri, connect_timeout=timeout) as connection:
            connection.ensure_connection(max_retries=1, timeout=timeout)
        return None
    except (OSError, socket.error, Exception) as exc:  # kombu wraps many kinds
        safe = Connection(amqp_uri).as_uri()  # hides the password
        return (f"RabbitMQ is not answering at {safe} ({exc.__class__.__name__}: {exc}). "
                "Start one with `rabbitmq-server -detached` (or `docker compose up rabbitmq`),"
                " or point AMQP_URI at a running broker.")
