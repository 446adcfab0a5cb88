"""Scoring's use cases, by concern: keeping report records and their lines in step with
the events (``records``), recomputing and checking them (``recompute``), rule set versions
(``rules``), reading standings and lines (``standings``), quotas and their reminders
(``quotas``), and bulletins and awards (``bulletins``). SQL lives in
``adapters.repository``, not here."""
from .records import (DIRECTORY, ensure_default_rules, on_directory_events,
                      on_handoff_events, on_report_events)
from .recompute import check, rebuild, totals

__all__ = ["DIRECTORY", "check", "ensure_default_rules", "on_directory_events",
           "on_handoff_events",
           "on_report_events", "rebuild", "totals"]
