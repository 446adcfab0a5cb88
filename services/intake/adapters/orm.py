"""Intake's tables: reports as their authors wrote them, and a copy of the directory."""
from sqlalchemy import (JSON, Boolean, Column, Date, ForeignKey, Index, Integer, MetaData, String,
                        Table, Text, func)

from minyi_common.db import UTCDateTime, file_columns, plumbing_tables

metadata = MetaData()
plumbing_tables(metadata)

reports = Table(
    "reports", metadata,
    Column("id", String(36), primary_key=True),
    Column("author_id", String(36), nullable=False, index=True),
    Column("unit_id", String(36), nullable=True, index=True),
    Column("title", String(60), nullable=False),
    Column("situation", Text, nullable=False),
    Column("analysis", Text, nullable=False),
    Column("suggestions", Text, nullable=False),
    Column("category", String(32), nullable=False, index=True),
    Column("consent_to_publish", Boolean, nullable=False),
    Column("urgent", Boolean, nullable=False, server_default="0"),
    Column("status", String(16), nullable=False, index=True),
    # The latest decision as review reported it ({kind, mode, reason_code, comment, ...}).
    Column("decision", JSON, nullable=True),
    Column("outcomes", JSON, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("submitted_at", UTCDateTime(), nullable=True),
    # When the status last changed by a decision: older decision events are not applied.
    Column("status_at", UTCDateTime(), nullable=False),
    # 代录: who typed it in for its author (null when the author did), and the office day
    # it was handed in, which decides the period it counts in.
    Column("entered_by", String(36), nullable=True, index=True),
    Column("received_on", Date, nullable=True),
    # A report that came by a link from a lower office (docs/federation.md): its author
    # is that office's unit; its authors as that office credits them, as text.
    Column("from_office", String(100), nullable=True),
    Column("credited", JSON, nullable=True),
    # 年度选题 and 约稿 (docs/office-voice.md): the topic it was written on and the
    # commission it answers.
    Column("topic_id", String(36), nullable=True, index=True),
    Column("commission_id", String(36), nullable=True, index=True),
)

# The list's order (newest first) and the instant a report counts from (its quarter): at
# a million reports, sorting every row or scanning them for a quarter takes seconds.
Index("ix_reports_newest", reports.c.created_at.desc(), reports.c.id)
Index("ix_reports_counted", func.coalesce(reports.c.submitted_at, reports.c.created_at).desc(),
      reports.c.id)

# What the office publishes and asks for (docs/office-voice.md).
topics = Table(
    "topics", metadata,
    Column("id", String(36), primary_key=True),
    Column("year", Integer, nullable=False, index=True),
    Column("title", String(60), nullable=False),
    Column("description", Text, nullable=False),
    Column("created_by", String(36), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

commissions = Table(
    "commissions", metadata,
    Column("id", String(36), primary_key=True),
    # One of the two: a person, or a unit whose admins answer for it.
    Column("person_id", String(36), nullable=True, index=True),
    Column("unit_id", String(36), nullable=True, index=True),
    Column("title", String(60), nullable=False),
    Column("note", Text, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("topic_id", String(36), ForeignKey("topics.id"), nullable=True),
    Column("created_by", String(36), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

notices = Table(
    "notices", metadata,
    Column("id", String(36), primary_key=True),
    Column("title", String(60), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_by", String(36), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False, index=True),
)

notice_files = Table(
    "notice_files", metadata,
    Column("id", String(36), primary_key=True),
    Column("notice_id", String(36), ForeignKey("notices.id", ondelete="CASCADE"),
           nullable=False, index=True),
    *file_columns(),
)

report_co_authors = Table(
    "report_co_authors", metadata,
    Column("report_id", String(36), ForeignKey("reports.id", ondelete="CASCADE"),
           primary_key=True),
    Column("person_id", String(36), primary_key=True),
    Column("position", Integer, nullable=False),
    Index("ix_report_co_authors_person", "person_id"),
)

# Co-authors who left a report (退出联名): no longer credited or shown, and not named on
# it again.
co_author_declines = Table(
    "co_author_declines", metadata,
    Column("report_id", String(36), ForeignKey("reports.id", ondelete="CASCADE"),
           primary_key=True),
    Column("person_id", String(36), primary_key=True),
    Column("at", UTCDateTime(), nullable=False),
)

# Files on a report (docs/reports.md): what each is and where the gateway keeps its
# bytes (``key`` in the blob store); the bytes never pass through intake.
report_attachments = Table(
    "report_attachments", metadata,
    Column("id", String(36), primary_key=True),
    Column("report_id", String(36), ForeignKey("reports.id", ondelete="CASCADE"),
           nullable=False, index=True),
    *file_columns(),
)

report_history = Table(
    "report_history", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("report_id", String(36), ForeignKey("reports.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("actor_id", String(36), nullable=True),
    Column("action", String(32), nullable=False),
    Column("comment", Text, nullable=True),
)

idempotency_keys = Table(
    "idempotency_keys", metadata,
    Column("user_id", String(36), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("body_hash", String(64), nullable=False),
    Column("report_id", String(36), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

people = Table(
    "people", metadata,
    # The directory's version of this snapshot: an older one arriving late is ignored.
    Column("source_version", Integer, nullable=False, server_default="0"),
    Column("id", String(36), primary_key=True),
    Column("display_name", String(100), nullable=False),
    Column("roles", JSON, nullable=False),
    Column("unit_ids", JSON, nullable=False),
    Column("active", Boolean, nullable=False),
)

units = Table(
    "units", metadata,
    # The directory's version of this snapshot: an older one arriving late is ignored.
    Column("source_version", Integer, nullable=False, server_default="0"),
    Column("id", String(36), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("kind", String(32), nullable=False),
)
