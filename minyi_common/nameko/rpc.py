"""RPC with deadlines: the ``@rpc`` entrypoint that drops work its caller stopped
waiting for and survives a broker gone away before the answer, and the proxy that gives
up with 503 instead of waiting for ever (nameko 2's ``RpcProxy`` has no timeout).

The consumer and answering extensions are our subclasses of nameko's (see ``queues``):
nothing of nameko is patched for them.
"""
import logging
import sys
import time

import eventlet
from nameko.constants import (AMQP_SSL_CONFIG_KEY, AMQP_URI_CONFIG_KEY, DEFAULT_SERIALIZER,
                              LOGIN_METHOD_CONFIG_KEY, NON_PERSISTENT, SERIALIZER_CONFIG_KEY)
from nameko.exceptions import UnknownService
from nameko.rpc import (ReplyListener, Responder, Rpc, RpcConsumer, RpcProxy,
                        get_rpc_exchange)

from .. import errors
from ..amqp import CONNECTION_ERRORS
from ..metrics import RPC_SECONDS
from ..outages import BROKER_OUTAGE, what_is_away
from .dependencies import settings_of
from .queues import BriskQueueConsumer, TransientPublisher

log = logging.getLogger(__name__)


# When the caller gives up on an RPC (the gateway's 503): a request still waiting in the
# queue expires there (per-message TTL), and one already prefetched by a busy service is
# refused when taken up (this header), so a command answered with 503 never runs later.
DEADLINE_HEADER = "x-minyi-deadline"


class _TransientResponder(Responder):
    publisher_cls = TransientPublisher


class _RpcConsumer(RpcConsumer):
    """nameko's, answering with transient, unconfirmed messages (``TransientPublisher``)
    and consuming through ``BriskQueueConsumer``."""
    queue_consumer = BriskQueueConsumer()

    def handle_result(self, message, result, exc_info):
        # nameko's own, but for the responder's class (it names Responder directly).
        config = self.container.config
        responder = _TransientResponder(
            config[AMQP_URI_CONFIG_KEY], get_rpc_exchange(config),
            config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER), message,
            ssl=config.get(AMQP_SSL_CONFIG_KEY), login_method=config.get(LOGIN_METHOD_CONFIG_KEY))
        result, exc_info = responder.send_response(result, exc_info)
        self.queue_consumer.ack_message(message)
        return result, exc_info


class _ReplyListener(ReplyListener):
    queue_consumer = BriskQueueConsumer()


class DeadlineRpc(Rpc):
    """nameko's @rpc that does not start work its caller stopped waiting for, and that
    survives a broker gone away before the answer could be sent."""

    rpc_consumer = _RpcConsumer()

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
    requests are transient (see ``TransientPublisher``)."""

    rpc_reply_listener = _ReplyListener()

    def __init__(self, target_service, **options):
        super().__init__(target_service, delivery_mode=NON_PERSISTENT, **options)

    def get_dependency(self, worker_ctx):
        timeout = settings_of(self.container).rpc_timeout
        return _DeadlineProxy(super().get_dependency(worker_ctx), self.target_service, timeout)
