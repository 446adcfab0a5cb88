"""The notify service: tells every author what became of their report (SPEC §7)."""
from minyi_common.nameko_glue import DatabaseProvider, consume_each, rpc

from . import handlers
from .adapters.orm import metadata


class NotifyService:
    name = "notify"
    # notify publishes no events; it needs no outbox relay.
    db = DatabaseProvider(metadata, relay_outbox=False)

    @rpc
    def inbox(self, principal, filters=None):
        return handlers.inbox(self.db, principal, filters)

    @rpc
    def mark_read(self, principal, notification_id):
        return handlers.mark_read(self.db, principal, notification_id)

    @rpc
    def ping(self):
        return "notify"

    def on_directory_event(self, event):
        handlers.on_directory_event(self.db, event)

    def on_report_event(self, event):
        handlers.on_report_event(self.db, event)


consume_each(NotifyService, ["directory.person_upserted"], "on_directory_event")
consume_each(NotifyService, ["report_returned", "report_retained", "report_rejected",
                             "report_adopted", "report_forwarded", "report_outcome_recorded"],
             "on_report_event")
