"""Notify's tables: the inbox and its copy of the directory."""
from sqlalchemy import (JSON, Boolean, Column, Index, Integer, MetaData, String, Table, Text,
                        UniqueConstraint)

from minyi_common.db import UTCDateTime, plumbing_tables

metadata = MetaData()
plumbing_tables(metadata)

notifications = Table(
    "notifications", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("recipient_id", String(36), nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("report_id", String(36), nullable=True),
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("read_at", UTCDateTime(), nullable=True),
    # One inbox item per (event, recipient), however often the event arrives.
    UniqueConstraint("event_id", "recipient_id", name="uq_notifications_event_recipient"),
    Index("ix_notifications_inbox", "recipient_id", "created_at"),
)

people = Table(
    "people", metadata,
    Column("id", String(36), primary_key=True),
    Column("display_name", String(100), nullable=False),
    Column("roles", JSON, nullable=False),
    Column("unit_ids", JSON, nullable=False),
    Column("email", String(254), nullable=True),
    Column("active", Boolean, nullable=False),
)
