"""The scoring service: points by the versioned rule table (docs/scoring.md)."""
import logging

import eventlet
from nameko.timer import timer

from minyi_common import officetime
from minyi_common.db import Database
from minyi_common.nameko import (Background, DatabaseProvider, RequestContext, Settings,
                                      consume_each, rpc, service_stats)
from minyi_common.contracts import RemindersInput, load_contract, load_principal, require

from . import handlers
from .handlers import adjustments, bulletins, member_records, quotas, rules, standings
from .adapters.orm import metadata

log = logging.getLogger(__name__)


class ScoringService:
    name = "scoring"
    settings = Settings()
    db = DatabaseProvider(metadata)
    request_context = RequestContext()
    background = Background()

    @rpc
    def person_scores(self, principal, person_id, period=None):
        return standings.person_scores(self.db, principal, person_id, period)

    @rpc
    def unit_scores(self, principal, unit_id, period=None):
        return standings.unit_scores(self.db, principal, unit_id, period)

    @rpc
    def standings(self, principal, filters=None):
        return standings.standings(self.db, principal, filters)

    @rpc
    def rule_sets(self):
        return rules.list_rule_sets(self.db)

    @rpc
    def add_rule_set(self, principal, payload):
        added = rules.add_rule_set(self.db, principal, payload)
        # Lines dated on or after the new version's start change: recompute them all, in
        # the background, a batch per transaction (a rebuild is replay-safe).
        self.background.once("rebuild", handlers.rebuild, self.db, self.settings.level,
                             pause=eventlet.sleep)
        return added

    @rpc
    def check(self, principal):
        """Admins: the stored lines and totals against a recomputation (docs/architecture.md)."""
        require(load_principal(principal), "manage_scoring")
        return handlers.check(self.db, self.settings.level)

    @rpc
    def person_record(self, principal, person_id, period=None, file_format="json"):
        record = member_records.person_record(self.db, principal, person_id, period)
        if file_format == "json":
            return record
        return member_records.as_file(record, file_format, True, self.settings.office_name)

    @rpc
    def member_records(self, principal, period=None, file_format="json"):
        records = member_records.everyone(self.db, principal, period)
        if file_format == "json":
            return records
        return member_records.as_file(records, file_format, False, self.settings.office_name)

    @rpc
    def add_adjustment(self, principal, payload):
        return adjustments.add_adjustment(self.db, principal, payload, self.settings.level)

    @rpc
    def file_appeal(self, principal, payload):
        return adjustments.file_appeal(self.db, principal, payload)

    @rpc
    def resolve_appeal(self, principal, appeal_id, payload):
        return adjustments.resolve_appeal(self.db, principal, appeal_id, payload)

    @rpc
    def list_appeals(self, principal, status, page, page_size):
        return adjustments.list_appeals(self.db, principal, status, page, page_size)

    @rpc
    def quota(self, principal, year=None):
        return quotas.quota(self.db, principal, year)

    @rpc
    def set_quota(self, principal, payload):
        return quotas.set_quota(self.db, principal, payload)

    @rpc
    def run_quota_reminders(self, principal, payload=None):
        """What the hourly timer does, on demand (operators; tests name the day)."""
        require(load_principal(principal), "manage_scoring")
        on = load_contract(RemindersInput, payload or {}).get("on")
        return quotas.send_quota_reminders(self.db, on or officetime.today())

    @timer(interval=3600)
    def quota_reminder_tick(self):
        # Every instance ticks (nameko timers are per instance); the reminders table's
        # key makes a second run in the same quarter send nothing.
        sent = quotas.send_quota_reminders(self.db, officetime.today())
        if sent:
            log.info("sent %s quota reminders", sent)

    @rpc
    def list_bulletins(self, principal):
        return bulletins.list_bulletins(self.db, principal)

    @rpc
    def bulletin(self, principal, period):
        return bulletins.bulletin(self.db, principal, period)

    @rpc
    def bulletin_file(self, principal, period, file_format):
        return bulletins.bulletin_file(self.db, self.settings, principal, period, file_format)

    @rpc
    def publish_bulletin(self, principal, period):
        return bulletins.publish_bulletin(self.db, principal, period)

    @rpc
    def awards(self, principal, filters=None):
        return bulletins.awards(self.db, principal, filters)

    @rpc
    def awards_file(self, principal, filters, file_format):
        return bulletins.awards_file(self.db, self.settings, principal, filters, file_format)

    @rpc
    def stats(self):
        return service_stats(self.db)

    @rpc
    def ping(self):
        return "scoring"

    def on_directory_events(self, events):
        handlers.on_directory_events(self.db, *events)

    def on_report_events(self, events):
        handlers.on_report_events(self.db, self.settings, *events)

    def on_handoff_events(self, events):
        handlers.on_handoff_events(self.db, *events)


consume_each(ScoringService, ["directory.person_upserted", "directory.unit_upserted"],
             "on_directory_events")
# Every report event is handled alike: update the record, recompute its lines.
consume_each(ScoringService, ["report_submitted", "report_resubmitted", "report_withdrawn",
                              "report_co_author_declined", "report_imported",
                              "report_returned", "report_retained", "report_rejected",
                              "report_adopted", "report_forwarded", "report_outcome_recorded"],
             "on_report_events")


def prepare(settings) -> None:
    """Before the first start: the default rule set and quotas (docs/scoring.md)."""
    database = Database(settings.db_url, metadata)
    try:
        handlers.ensure_default_rules(database)
        quotas.ensure_default_quotas(database)
    finally:
        database.dispose()
consume_each(ScoringService, ["handoff_created", "handoff_replied", "handoff_rated"],
             "on_handoff_events")
