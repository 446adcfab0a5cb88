"""The notify service: tells every author what became of their report (docs/notifications.md)."""
import base64
import logging

import eventlet
from nameko.extensions import DependencyProvider

from minyi_common.contracts import WEBHOOK_EVENT_TYPES
from minyi_common.db import Database
from minyi_common.nameko import (BackgroundLoop, DatabaseProvider, RequestContext, Settings,
                                      consume_each, database_of, rpc, service_stats,
                                      settings_of)

from . import delivery, handlers, links, login_codes
from .adapters import sealing
from .adapters.orm import metadata


class SendingLoop(DependencyProvider):
    """A loop that sends in the background while the container runs, one round at a
    time, each send within MINYI_DELIVERY_DEADLINE (green sockets: the timeout interrupts
    any connect, read or write under way)."""
    loop_name = ""

    def one_round(self, db, settings, deadline):
        """A function running one round of sending; True when more may be due now."""
        raise NotImplementedError

    def start(self):
        settings = settings_of(self.container)
        self.loop = BackgroundLoop(self.loop_name, self.one_round(
            database_of(self.container), settings, settings.delivery_deadline),
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


class Deliveries(SendingLoop):
    """Email and webhook deliveries, retried with backoff."""
    loop_name = "delivery loop"

    def one_round(self, db, settings, deadline):
        send = handlers.sender(db, settings)

        def send_within_deadline(row):
            with eventlet.Timeout(deadline, delivery.Undeliverable(
                    f"{deadline:g} 秒内未能送达（对方无应答或太慢）")):
                send(row)
        return lambda: delivery.dispatch_once(
            db, send_within_deadline, settings.delivery_base_delay,
            settings.delivery_max_attempts, deadline=deadline)


class LinkMessages(SendingLoop):
    """Messages down links to other installs (docs/federation.md), retried until done."""
    loop_name = "link loop"

    def one_round(self, db, settings, deadline):
        send = links.link_sender(settings, sealing.box_for(settings))

        def send_within_deadline(link, row):
            with eventlet.Timeout(deadline, TimeoutError(f"no answer within {deadline:g} s")):
                send(link, row)
        return lambda: links.dispatch_once(db, send_within_deadline,
                                           settings.delivery_base_delay)


class NotifyService:
    name = "notify"
    settings = Settings()
    # Its outbox carries what other installs send here, for intake and review.
    db = DatabaseProvider(metadata)
    request_context = RequestContext()
    deliveries = Deliveries()
    link_messages = LinkMessages()

    @rpc
    def inbox(self, principal, filters=None):
        return handlers.inbox(self.db, principal, filters)

    @rpc
    def mark_read(self, principal, notification_id):
        return handlers.mark_read(self.db, principal, notification_id)

    # Sign-in by SMS code: asked by the gateway for a caller not yet signed in.
    @rpc
    def send_login_code(self, phone):
        return login_codes.send_code(self.db, self.settings, phone)

    @rpc
    def check_login_code(self, phone, code):
        return login_codes.check_code(self.db, phone, code)

    @rpc
    def get_preferences(self, principal):
        return handlers.get_preferences(self.db, self.settings, principal)

    @rpc
    def put_preferences(self, principal, payload):
        return handlers.put_preferences(self.db, self.settings, principal, payload)

    @rpc
    def get_preferences_of(self, principal, person_id):
        return handlers.get_preferences_of(self.db, self.settings, principal, person_id)

    @rpc
    def put_preferences_of(self, principal, person_id, payload):
        return handlers.put_preferences_of(self.db, self.settings, principal, person_id,
                                           payload)

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
    def create_link(self, principal, payload, unit_id=None):
        return links.create_link(self.db, principal, payload, sealing.box_for(self.settings),
                                 unit_id)

    @rpc
    def list_links(self, principal):
        return links.list_links(self.db, principal)

    @rpc
    def retry_parked(self, principal, link_id):
        answer = links.retry_parked(self.db, principal, link_id)
        self.link_messages.wake()
        return answer

    @rpc
    def link_to_forward_on(self, principal, link_id):
        return links.link_to_forward_on(self.db, principal, link_id)

    @rpc
    def receive_link_message(self, key_id, signature, body_base64):
        return links.receive(self.db, sealing.box_for(self.settings), key_id, signature,
                             base64.b64decode(body_base64))

    @rpc
    def stats(self):
        return service_stats(self.db)

    @rpc
    def ping(self):
        return "notify"

    def on_directory_events(self, events):
        handlers.on_directory_events(self.db, self.settings, *events)

    def on_events(self, events):
        queued = handlers.on_events(self.db, self.settings, *events)
        if "deliveries" in queued:
            self.deliveries.wake()
        if "links" in queued:
            self.link_messages.wake()

    def on_piece_events(self, events):
        handlers.on_piece_events(self.db, self.settings, *events)
        self.link_messages.wake()


consume_each(NotifyService, ["directory.person_upserted"], "on_directory_events")
consume_each(NotifyService, WEBHOOK_EVENT_TYPES, "on_events")
consume_each(NotifyService, ["piece_forwarded"], "on_piece_events")


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
