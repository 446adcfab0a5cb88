"""A command the caller gave up on (the gateway answered 503) is not carried out later
unseen (docs/architecture.md): the request expires in the queue, or is refused when a busy service
finally takes it up."""
import time

import eventlet
import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from minyi_common.errors import ServiceUnavailable
from minyi_common.nameko.rpc import DEADLINE_HEADER, _DeadlineProxy, rpc

DONE = []


class Busy:
    """One worker at a time: a slow call keeps the next ones waiting."""
    name = "busy"

    @rpc
    def slow(self, seconds):
        eventlet.sleep(seconds)
        return "slow done"

    @rpc
    def command(self, tag):
        DONE.append(tag)
        return tag


@pytest.fixture
def busy(container_factory, make_settings):
    DONE.clear()
    settings = make_settings("intake", "sqlite://")
    config = {**settings.nameko_config(), "max_workers": 1}
    container = container_factory(Busy, config)
    container.start()
    return config


def test_a_command_given_up_on_never_runs_later(busy):
    # One standalone proxy per caller (a proxy's reply consumer serves one greenthread).
    with ServiceRpcProxy("busy", busy) as first, ServiceRpcProxy("busy", busy) as second:
        blocker = eventlet.spawn(_DeadlineProxy(first, "busy", 10).slow, 2.0)
        eventlet.sleep(0.2)  # the slow call holds the only worker for 2 s
        with pytest.raises(ServiceUnavailable):
            _DeadlineProxy(second, "busy", 0.5).command("given up")  # 503 after 0.5 s
        assert blocker.wait() == "slow done"
        assert _DeadlineProxy(second, "busy", 10).command("on time") == "on time"
    eventlet.sleep(0.5)
    assert DONE == ["on time"], "the request answered with 503 ran after all"


def test_a_request_taken_up_after_its_deadline_is_refused_not_run(busy):
    """The broker's expiry drops a request still queued; one that reaches the service
    late anyway (redelivered after a broker restart, or prefetched behind a slow worker)
    is refused by the service itself: here a request without an expiry whose deadline
    passed a second ago."""
    with ServiceRpcProxy("busy", busy) as proxy:
        method = proxy.command
        method.publisher.publish_kwargs = {
            **method.publisher.publish_kwargs,
            "headers": {DEADLINE_HEADER: f"{time.time() - 1:.3f}"}}
        with pytest.raises(ServiceUnavailable):
            method("late")
    assert DONE == [], "a request past its deadline ran"


def test_a_request_within_its_deadline_runs(busy):
    with ServiceRpcProxy("busy", busy) as proxy:
        assert _DeadlineProxy(proxy, "busy", 5).command("ok") == "ok"
    assert DONE == ["ok"]


def test_a_broker_that_is_away_is_a_503_not_a_crash():
    """The publish of an RPC fails while the broker restarts: nothing was sent, so the
    gateway answers 503 (with Retry-After, see gateway.http) instead of a 500."""
    from kombu.exceptions import OperationalError

    class Publisher:
        expiration, publish_kwargs = None, {}

    def unreachable(*_args, **_kwargs):
        raise OperationalError("[Errno 111] Connection refused")
    unreachable.publisher = Publisher()

    class Proxy:
        submit = unreachable

    with pytest.raises(ServiceUnavailable) as refused:
        _DeadlineProxy(Proxy(), "intake", 2).submit({})
    assert refused.value.detail == "the message broker is not answering"
