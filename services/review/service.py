"""The review service: the information office's editorial work (docs/architecture.md, docs/reports.md)."""
import logging

import eventlet
from nameko.extensions import DependencyProvider
from nameko.timer import timer

from minyi_common import officetime

from minyi_common.nameko import (DatabaseProvider, RequestContext, Settings, consume_each,
                                      database_of, rpc, service_stats)
from minyi_common.outages import until_done

from . import handlers
from .handlers import federation, handoffs, outcome_files, publication
from .adapters.orm import metadata
from .similarity import SimilarityIndex

log = logging.getLogger(__name__)


class Similarity(DependencyProvider):
    """One in-memory similarity index per container, loaded from the stored sketches in
    the background at start (a million reports take about ten seconds: make bench)."""

    def setup(self):
        self.index = SimilarityIndex()

    def start(self):
        self.container.spawn_managed_thread(lambda: until_done(
            "similarity catch-up", lambda: handlers.catch_up(
                database_of(self.container), self.index, pause=eventlet.sleep)))

    def get_dependency(self, worker_ctx):
        return self.index


class ReviewService:
    name = "review"
    settings = Settings()
    db = DatabaseProvider(metadata)
    request_context = RequestContext()
    similarity = Similarity()

    @rpc
    def queue(self, principal, filters=None):
        return handlers.queue(self.db, principal, filters)

    @rpc
    def get_case(self, principal, report_id):
        return handlers.get_case(self.db, principal, report_id)

    @rpc
    def decide(self, principal, report_id, action, payload):
        return handlers.decide(self.db, self.settings, principal, report_id, action, payload)

    @rpc
    def merge(self, principal, payload):
        return handlers.merge(self.db, self.settings, principal, payload)

    @rpc
    def list_pieces(self, principal, filters=None):
        return publication.list_pieces(self.db, principal, filters)

    @rpc
    def create_issue(self, principal, payload):
        return publication.create_issue(self.db, principal, payload)

    @rpc
    def list_issues(self, principal, filters=None):
        return publication.list_issues(self.db, principal, filters)

    @rpc
    def get_issue(self, principal, issue_id):
        return publication.get_issue(self.db, principal, issue_id)

    @rpc
    def set_issue_pieces(self, principal, issue_id, payload):
        return publication.set_issue_pieces(self.db, principal, issue_id, payload)

    @rpc
    def issue_docx(self, principal, issue_id):
        return publication.issue_docx(self.db, self.settings, principal, issue_id)

    @rpc
    def update_issue(self, principal, issue_id, payload):
        return publication.update_issue(self.db, principal, issue_id, payload)

    @rpc
    def piece_docx(self, principal, piece_id, options=None):
        return publication.piece_docx(self.db, self.settings, principal, piece_id, options)

    @rpc
    def add_outcome_attachment(self, principal, report_id, outcome_id, blob):
        return outcome_files.add(self.db, principal, report_id, outcome_id, blob)

    @rpc
    def list_outcome_attachments(self, principal, report_id):
        return outcome_files.listed(self.db, principal, report_id)

    @rpc
    def outcome_attachment_to_send(self, principal, report_id, attachment_id):
        return outcome_files.to_send(self.db, principal, report_id, attachment_id)

    @rpc
    def forward_piece(self, principal, piece_id, link):
        return federation.forward_piece(self.db, self.settings, principal, piece_id, link)

    @rpc
    def create_handoff(self, principal, report_id, payload):
        return handoffs.create(self.db, principal, report_id, payload)

    @rpc
    def list_handoffs(self, principal, filters=None):
        return handoffs.listed(self.db, principal, filters)

    @rpc
    def handoffs_of_report(self, principal, report_id):
        return handoffs.of_report(self.db, principal, report_id)

    @rpc
    def reply_to_handoff(self, principal, handoff_id, payload):
        return handoffs.reply(self.db, principal, handoff_id, payload)

    @rpc
    def rate_handoff(self, principal, handoff_id, payload):
        return handoffs.rate(self.db, principal, handoff_id, payload)

    @rpc
    def add_handoff_attachment(self, principal, handoff_id, blob):
        return handoffs.add_file(self.db, principal, handoff_id, blob)

    @rpc
    def handoff_attachment_to_send(self, principal, handoff_id, attachment_id):
        return handoffs.file_to_send(self.db, principal, handoff_id, attachment_id)

    @rpc
    def send_handoff_reminders(self, principal, payload=None):
        """What the hourly timer does, on demand (operators; tests name the day)."""
        return handoffs.send_reminders_now(self.db, principal, payload)

    @timer(interval=3600)
    def handoff_reminder_tick(self):
        # Every instance ticks; each reminder is claimed by one guarded update.
        sent = handoffs.send_reminders(self.db, officetime.today())
        if sent:
            log.info("sent %s hand-off reminders", sent)

    @rpc
    def stats(self):
        return service_stats(self.db)

    @rpc
    def ping(self):
        return "review"

    def on_report_events(self, events):
        handlers.on_report_events(self.db, self.similarity, *events, pause=eventlet.sleep)

    def on_imported_events(self, events):
        handlers.on_imported_events(self.db, *events)

    def on_co_author_events(self, events):
        handlers.on_co_author_events(self.db, *events)

    def on_directory_events(self, events):
        handlers.on_directory_events(self.db, *events)

    def on_link_events(self, events):
        federation.on_link_decision_events(self.db, self.settings, *events)


consume_each(ReviewService, ["report_submitted", "report_resubmitted", "report_withdrawn"],
             "on_report_events")
consume_each(ReviewService, ["report_co_author_declined"], "on_co_author_events")
consume_each(ReviewService, ["report_imported"], "on_imported_events")
consume_each(ReviewService, ["directory.person_upserted", "directory.unit_upserted"],
             "on_directory_events")
consume_each(ReviewService, ["link_decision_received"], "on_link_events")
