"""The dependencies every service is built with: its settings, the request id on its
log lines, its database with the outbox relay beside it, and background jobs."""
import logging
import random
import threading
import time

import eventlet
from nameko.extensions import DependencyProvider

from .. import logs
from ..amqp import ConfirmingPublisher, ensure_topology
from ..db import Database, OutboxRelay, Retention
from ..outages import OUTAGES

log = logging.getLogger(__name__)


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
