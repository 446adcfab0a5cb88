"""The scoring service: points by the versioned rule table (SPEC §6)."""
from minyi_common.db import Database
from minyi_common.nameko_glue import DatabaseProvider, Settings, consume_each, rpc

from . import handlers
from .adapters.orm import metadata


class ScoringService:
    name = "scoring"
    settings = Settings()
    db = DatabaseProvider(metadata)

    @rpc
    def person_scores(self, principal, person_id, period=None):
        return handlers.person_scores(self.db, principal, person_id, period)

    @rpc
    def ping(self):
        return "scoring"

    def on_directory_event(self, event):
        handlers.on_directory_event(self.db, event)

    def on_report_event(self, event):
        handlers.on_report_event(self.db, self.settings, event)


consume_each(ScoringService, ["directory.person_upserted", "directory.unit_upserted"],
             "on_directory_event")
# Every report event is handled alike: update the record, recompute its lines.
consume_each(ScoringService, ["report_submitted", "report_resubmitted", "report_withdrawn",
                              "report_returned", "report_retained", "report_rejected",
                              "report_adopted", "report_forwarded", "report_outcome_recorded"],
             "on_report_event")


def prepare(settings) -> None:
    """Before the first start: the default rule set (SPEC §6)."""
    database = Database(settings.db_url, metadata)
    try:
        handlers.ensure_default_rules(database)
    finally:
        database.dispose()
