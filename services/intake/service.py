"""The intake service: reports as their authors submit them (docs/architecture.md)."""
from nameko.exceptions import serialize

from minyi_common.nameko import (DatabaseProvider, RequestContext, consume_each, rpc,
                                      service_stats)

from . import backlog, handlers, office
from .adapters.orm import metadata


class IntakeService:
    name = "intake"
    db = DatabaseProvider(metadata)
    request_context = RequestContext()

    @rpc
    def create_report(self, principal, payload, idempotency_key=None):
        return handlers.create_report(self.db, principal, payload, idempotency_key)

    @rpc
    def create_reports(self, submissions):
        """Submissions the gateway gathered from concurrent requests, each answered in
        its own right: {"answer": ...} or {"error": ...} (an exception as nameko sends
        one, rebuilt by the caller)."""
        return [{"error": serialize(each)} if isinstance(each, Exception)
                else {"answer": each} for each in handlers.create_reports(self.db, submissions)]

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

    # --- what the office publishes and asks for ---------------------------------------
    @rpc
    def add_topic(self, principal, payload):
        return office.add_topic(self.db, principal, payload)

    @rpc
    def list_topics(self, principal, year=None):
        return office.list_topics(self.db, principal, year)

    @rpc
    def add_commission(self, principal, payload):
        return office.add_commission(self.db, principal, payload)

    @rpc
    def list_commissions(self, principal, filters=None):
        return office.list_commissions(self.db, principal, filters)

    @rpc
    def add_notice(self, principal, payload):
        return office.add_notice(self.db, principal, payload)

    @rpc
    def list_notices(self, principal, filters=None):
        return office.list_notices(self.db, principal, filters)

    @rpc
    def get_notice(self, principal, notice_id):
        return office.get_notice(self.db, principal, notice_id)

    @rpc
    def add_notice_file(self, principal, notice_id, blob):
        return office.add_notice_file(self.db, principal, notice_id, blob)

    @rpc
    def notice_file_to_send(self, principal, notice_id, file_id):
        return office.notice_file_to_send(self.db, principal, notice_id, file_id)

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
