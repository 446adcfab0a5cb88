"""Database plumbing, free of any framework: engines (``engine``), the unit of work and
locks (``unit_of_work``), the outbox with its relay (``outbox``), the consumption of
events once each (``consume``), and the base of every service's repository
(``repository``).

A unit of work is one transaction. Services write their events through it
(``uow.emit``) into the outbox table in the same transaction as the change, and
consumers claim each event id in the same transaction as their writes (``uow.claim``),
so a duplicate delivery changes nothing.
"""
from sqlalchemy import JSON

from .consume import handle_each
from .directory_copy import DirectoryCopy
from .engine import (CONFLICT_INSERTS, UTCDateTime, conflict_insert, decode_json, make_engine, normalize_url,
                     utcnow)
from .outbox import Every, OutboxRelay, Retention, file_columns, plumbing_tables
from .repository import Repository, decoded
from .unit_of_work import Database, UnitOfWork, lock, upsert_row

__all__ = ["CONFLICT_INSERTS", "Database", "DirectoryCopy", "Every", "JSON", "OutboxRelay",
           "Repository", "Retention", "UTCDateTime", "UnitOfWork", "conflict_insert",
           "decode_json", "decoded", "file_columns", "handle_each", "lock", "make_engine",
           "normalize_url", "plumbing_tables", "upsert_row", "utcnow"]
