"""The notify service: tells every author what became of their report (docs/notifications.md)."""
import logging

import eventlet
from nameko.extensions import DependencyProvider

from minyi_common.contracts import WEBHOOK_EVENT_TYPES
from minyi_common.db import Database
from minyi_common.nameko import (BackgroundLoop, DatabaseProvider, RequestContext, Settings,
                                      consume_each, database_of, rpc, service_stats,
                                      settings_of)

from . import delivery, handlers
from .adapters import sealing
from .adapters.orm import metadata


class Deliveries(DependencyProvider):
    """The loop that sends email and webhook deliveries, retrying with backoff."""

    def start(self):
        settings = settings_of(self.container)
        db = database_of(self.container)
        send = handlers.sender(db, settings)

        deadline = settings.delivery_deadline

        def send_within_deadline(row):
            # Green sockets: the timeout interrupts any connect, read or write under way.
            with eventlet.Timeout(deadline, delivery.Undeliverable(
                    f"{deadline:g} 秒内未能送达（对方无应答或太慢）")):
                send(row)

        self.loop = BackgroundLoop("delivery loop", lambda: delivery.dispatch_once(
            db, send_within_deadline, settings.delivery_base_delay,
            settings.delivery_max_attempts, deadline=deadline),
            min(1.0, settings.delivery_base_delay / 2))
        self._gt = self.container.spawn_managed_thread(self.loop.run)

    def stop(self):
        self.loop.stop()
        self._gt.wait()

    def kill(self):
        if hasattr(self, "loop"):
            self.loop.stop()

    def get_dependency(self, worker_ctx):
        return self.loop


class NotifyService:
    name = "notify"
    settings = Settings()
    # notify publishes no events; it needs no outbox relay.
    db = DatabaseProvider(metadata, relay_outbox=False)
    request_context = RequestContext()
    deliveries = Deliveries()

    @rpc
    def inbox(self, principal, filters=None):
        return handlers.inbox(self.db, principal, filters)

    @rpc
    def mark_read(self, principal, notification_id):
        return handlers.mark_read(self.db, principal, notification_id)

    @rpc
    def get_preferences(self, principal):
        return handlers.get_preferences(self.db, principal)

    @rpc
    def put_preferences(self, principal, payload):
        return handlers.put_preferences(self.db, principal, payload)

    @rpc
    def create_webhook(self, principal, payload):
        return handlers.create_webhook(self.db, principal, payload,
                                       sealing.box_for(self.settings),
                                       self.settings.webhook_allow_private)

    @rpc
    def list_webhooks(self, principal):
        return handlers.list_webhooks(self.db, principal)

    @rpc
    def delete_webhook(self, principal, webhook_id):
        return handlers.delete_webhook(self.db, principal, webhook_id)

    @rpc
    def list_deliveries(self, principal, filters=None):
        return delivery.list_deliveries(self.db, principal, filters)

    @rpc
    def retry_delivery(self, principal, delivery_id):
        answer = delivery.retry_delivery(self.db, principal, delivery_id)
        self.deliveries.wake()
        return answer

    @rpc
    def stats(self):
        return service_stats(self.db)

    @rpc
    def ping(self):
        return "notify"

    def on_directory_events(self, events):
        handlers.on_directory_events(self.db, *events)

    def on_events(self, events):
        handlers.on_events(self.db, self.settings, *events)
        self.deliveries.wake()


consume_each(NotifyService, ["directory.person_upserted"], "on_directory_events")
consume_each(NotifyService, WEBHOOK_EVENT_TYPES, "on_events")


def prepare(settings) -> None:
    """Before the container starts: the key that seals webhook secrets (made on first
    start when MINYI_DATA_KEY is not set), and any secret kept unsealed sealed with it."""
    database = Database(settings.db_url, metadata)
    try:
        sealed = handlers.seal_stored_secrets(database, sealing.box_for(settings))
        if sealed:
            logging.getLogger(__name__).info("sealed %d webhook secret(s) kept in the clear",
                                             sealed)
    finally:
        database.dispose()
