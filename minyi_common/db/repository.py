"""What every service's repository shares: it reads and writes that service's tables
inside one unit of work, and writes events to the outbox in the same transaction."""
from .engine import decode_json


def decoded(row, *json_columns) -> dict:
    """A row as a dict with its JSON columns decoded (SQLite hands them back as text)."""
    found = dict(row._mapping)
    for name in json_columns:
        found[name] = decode_json(found[name])
    return found


class Repository:
    def __init__(self, uow):
        self.uow = uow

    def emit(self, event: dict) -> None:
        """Into the outbox, committed with the change that caused it."""
        self.uow.emit(event)

    def _all(self, query) -> list:
        return self.uow.execute(query).all()

    def _all_decoded(self, query, *json_columns) -> list:
        """Every row of ``query`` as a dict, its ``json_columns`` decoded."""
        return [decoded(row, *json_columns) for row in self.uow.execute(query)]
