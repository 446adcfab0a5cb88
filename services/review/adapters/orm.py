"""Review's tables: one case per report, its decisions, edits, outcomes and history."""
from sqlalchemy import JSON, Boolean, Column, Integer, MetaData, String, Table, Text

from minyi_common.db import UTCDateTime, plumbing_tables

metadata = MetaData()
plumbing_tables(metadata)

cases = Table(
    "cases", metadata,
    Column("report_id", String(36), primary_key=True),
    Column("author_id", String(36), nullable=False),
    Column("co_author_ids", JSON, nullable=False),
    Column("unit_id", String(36), nullable=True, index=True),
    Column("title", String(60), nullable=False),
    Column("situation", Text, nullable=False),
    Column("analysis", Text, nullable=False),
    Column("suggestions", Text, nullable=False),
    Column("category", String(32), nullable=False, index=True),
    Column("consent_to_publish", Boolean, nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("submitted_at", UTCDateTime(), nullable=False, index=True),
    Column("decision", JSON, nullable=True),
    # The editor's edited text (核稿), kept beside the author's original.
    Column("edited", JSON, nullable=True),
    Column("outcomes", JSON, nullable=False),
    # Optimistic concurrency: every decision updates WHERE version = the version read.
    Column("version", Integer, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

history = Table(
    "history", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("report_id", String(36), nullable=False, index=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("actor_id", String(36), nullable=True),
    Column("action", String(32), nullable=False),
    Column("comment", Text, nullable=True),
)
