"""The review service: the information office's editorial work (SPEC §3, §4)."""
from minyi_common.nameko_glue import DatabaseProvider, Settings, on_event, rpc

from . import handlers
from .adapters.orm import metadata


class ReviewService:
    name = "review"
    settings = Settings()
    db = DatabaseProvider(metadata)

    @rpc
    def queue(self, principal, filters=None):
        return handlers.queue(self.db, principal, filters)

    @rpc
    def decide(self, principal, report_id, action, payload):
        return handlers.decide(self.db, self.settings, principal, report_id, action, payload)

    @rpc
    def ping(self):
        return "review"

    @on_event("report_submitted")
    def report_submitted(self, event):
        handlers.on_report_event(self.db, event)

    @on_event("report_resubmitted")
    def report_resubmitted(self, event):
        handlers.on_report_event(self.db, event)

    @on_event("report_withdrawn")
    def report_withdrawn(self, event):
        handlers.on_report_event(self.db, event)
