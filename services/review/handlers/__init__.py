"""Review's use cases, by concern: what editors read (``queue``), what they decide
(``decisions``), composing and printing issues (``publication``), files on outcomes
(``outcome_files``), and keeping cases in step with intake and the directory
(``consumers``). SQL lives in ``adapters.repository``, not here."""
from .consumers import (CASE_FIELDS, DIRECTORY, STATUS_OF, RowsToAdd, catch_up, catch_up_batch,
                        on_co_author_events, on_directory_events, on_imported_events,
                        on_report_events)
from .decisions import decide, merge
from .queue import get_case, queue

__all__ = ["CASE_FIELDS", "DIRECTORY", "STATUS_OF", "RowsToAdd", "catch_up", "catch_up_batch",
           "decide", "get_case", "merge", "on_co_author_events", "on_directory_events", "on_imported_events",
           "on_report_events", "queue"]
