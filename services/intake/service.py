"""The intake service: reports as their authors submit them (docs/architecture.md)."""
from minyi_common.nameko import (DatabaseProvider, RequestContext, consume_each, rpc,
                                      service_stats)

from . import backlog, handlers
from .adapters.orm import metadata


class IntakeService:
    name = "intake"
    db = DatabaseProvider(metadata)
    request_context = RequestContext()

    @rpc
    def create_report(self, principal, payload, idempotency_key=None):
        return handlers.create_report(self.db, principal, payload, idempotency_key)

    @rpc
    def update_report(self, principal, report_id, payload):
        return handlers.update_report(self.db, principal, report_id, payload)

    @rpc
    def submit_report(self, principal, report_id):
        return handlers.submit_report(self.db, principal, report_id)

    @rpc
    def withdraw_report(self, principal, report_id):
        return handlers.withdraw_report(self.db, principal, report_id)

    @rpc
    def decline_co_authorship(self, principal, report_id):
        return handlers.decline_co_authorship(self.db, principal, report_id)

    @rpc
    def add_attachment(self, principal, report_id, blob):
        return handlers.add_attachment(self.db, principal, report_id, blob)

    @rpc
    def list_attachments(self, principal, report_id):
        return handlers.list_attachments(self.db, principal, report_id)

    @rpc
    def attachment_to_send(self, principal, report_id, attachment_id):
        return handlers.attachment_to_send(self.db, principal, report_id, attachment_id)

    @rpc
    def delete_attachment(self, principal, report_id, attachment_id):
        return handlers.delete_attachment(self.db, principal, report_id, attachment_id)

    @rpc
    def import_reports(self, principal, rows, dry_run=True, errors=()):
        return backlog.import_reports(self.db, principal, rows, dry_run, list(errors))

    @rpc
    def get_report(self, principal, report_id):
        return handlers.get_report(self.db, principal, report_id)

    @rpc
    def list_reports(self, principal, filters=None):
        return handlers.list_reports(self.db, principal, filters)

    @rpc
    def stats(self):
        return service_stats(self.db)

    @rpc
    def ping(self):
        return "intake"

    def on_directory_events(self, events):
        handlers.on_directory_events(self.db, *events)

    def on_link_events(self, events):
        handlers.on_link_events(self.db, *events)

    def on_review_events(self, events):
        handlers.on_review_events(self.db, *events)


consume_each(IntakeService, ["directory.person_upserted", "directory.unit_upserted"],
             "on_directory_events")
consume_each(IntakeService, ["report_returned", "report_retained", "report_rejected",
                             "report_adopted", "report_forwarded", "report_outcome_recorded"],
             "on_review_events")
consume_each(IntakeService, ["link_piece_received"], "on_link_events")
