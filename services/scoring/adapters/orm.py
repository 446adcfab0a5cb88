"""Scoring's tables: rule set versions, report records, score lines, directory copy."""
from sqlalchemy import (JSON, Boolean, Column, Date, Index, Integer, MetaData, Numeric,
                        String, Table, text, true)

from minyi_common.db import UTCDateTime, plumbing_tables

metadata = MetaData()
plumbing_tables(metadata)

rule_sets = Table(
    "rule_sets", metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("effective_from", Date, nullable=False),
    Column("coauthor_share", Numeric(4, 3), nullable=False),
    Column("rules", JSON, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

report_records = Table(
    "report_records", metadata,
    Column("report_id", String(36), primary_key=True),
    Column("author_id", String(36), nullable=False, index=True),
    Column("co_author_ids", JSON, nullable=False),
    Column("unit_id", String(36), nullable=True, index=True),
    Column("title", String(60), nullable=False, server_default=""),
    # 是否同意公开: whether the author may be named where the report is published.
    Column("consent_to_publish", Boolean, nullable=False, server_default=true()),
    Column("submitted_on", Date, nullable=False, index=True),
    Column("status", String(16), nullable=False),
    # When the status last changed, so that an older decision arriving late is ignored.
    Column("status_at", UTCDateTime(), nullable=False),
    Column("decision", JSON, nullable=True),
    Column("outcomes", JSON, nullable=False),
    # Co-authors who left (退出联名): kept out of co_author_ids whatever a late event says.
    Column("declined_ids", JSON, nullable=True),
    # 年度选题: the topic it was written on, and its title then (the 通报 counts per topic).
    Column("topic_id", String(36), nullable=True),
    Column("topic_title", String(60), nullable=True),
)

score_lines = Table(
    "score_lines", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("report_id", String(36), nullable=False, index=True),
    Column("subject_kind", String(8), nullable=False),
    Column("subject_id", String(36), nullable=False),
    Column("role", String(16), nullable=False),
    Column("event", String(32), nullable=False),
    Column("level", String(16), nullable=False),
    Column("mode", String(8), nullable=True),
    Column("points", Numeric(10, 2), nullable=False),
    Column("rule_version", Integer, nullable=False),
    Column("event_date", Date, nullable=False),
    Index("ix_score_lines_subject", "subject_kind", "subject_id", "event_date"),
    Index("ix_score_lines_period", "event_date", "subject_kind"),
)

# Each subject's figures per quarter (quarter 20263) and per whole year (20260), kept in
# step with score_lines (the same transaction changes both), so that standings add up at
# most a row per subject and year or quarter instead of every line. Every period
# (quarter, year, range of years) is whole quarters.
quarter_totals = Table(
    "quarter_totals", metadata,
    Column("subject_kind", String(8), primary_key=True),
    Column("quarter", Integer, primary_key=True),
    Column("subject_id", String(36), primary_key=True),
    Column("points", Numeric(12, 2), nullable=False),
    Column("submitted", Integer, nullable=False),
    Column("adopted", Integer, nullable=False),
    Column("upstream_adopted", Integer, nullable=False),
    Column("instructions", Integer, nullable=False),
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
    # Who is ranked and owes a quota, as columns so that standings filter in SQL.
    Column("is_member", Boolean, nullable=False, server_default="0"),
    Column("is_officer", Boolean, nullable=False, server_default="0"),
)

# Reports owed per role per year; year 0 holds the default for every year.
quotas = Table(
    "quotas", metadata,
    Column("role", String(16), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("count", Integer, nullable=False),
)

# One quota reminder per person per quarter, however often the timer runs.
quota_reminders = Table(
    "quota_reminders", metadata,
    Column("person_id", String(36), primary_key=True),
    Column("quarter", String(8), primary_key=True),
    Column("sent_at", UTCDateTime(), nullable=False),
)

bulletins = Table(
    "bulletins", metadata,
    Column("period", String(16), primary_key=True),
    Column("published_at", UTCDateTime(), nullable=False),
    Column("published_by", String(36), nullable=False),
)

# What the 通报 counts of hand-offs (转办): when each was made, first replied to and
# rated, by office day. Kept from review's hand-off events, which may arrive in any order.
handoff_records = Table(
    "handoff_records", metadata,
    Column("id", String(36), primary_key=True),
    Column("report_id", String(36), nullable=False),
    Column("unit_id", String(36), nullable=False),
    Column("handed_on", Date, nullable=True, index=True),
    Column("replied_on", Date, nullable=True, index=True),
    Column("resolution", String(16), nullable=True),
    Column("rated_on", Date, nullable=True, index=True),
    Column("rating", String(24), nullable=True),
)

units = Table(
    "units", metadata,
    # The directory's version of this snapshot: an older one arriving late is ignored.
    Column("source_version", Integer, nullable=False, server_default="0"),
    Column("id", String(36), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("kind", String(32), nullable=False),
)

# Points added or taken by hand (积分调整), each with its reason. Each is also a score line
# (report_id = the adjustment's id, event "adjustment", rule version 0), so that it counts
# in the quarter totals, standings and bulletins as any line does; a rebuild, which
# recomputes report lines only, leaves it be, and the check compares the two tables.
adjustments = Table(
    "adjustments", metadata,
    Column("id", String(36), primary_key=True),
    Column("subject_kind", String(8), nullable=False),
    Column("subject_id", String(36), nullable=False, index=True),
    Column("points", Numeric(10, 2), nullable=False),
    Column("reason", String(200), nullable=False),
    Column("on", Date, nullable=False),
    # The appeal this adjustment settles, if any.
    Column("appeal_id", String(36), nullable=True),
    Column("created_by", String(36), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

# 申诉: a person questions one of their own score lines, by its key; an editor resolves it.
appeals = Table(
    "appeals", metadata,
    Column("id", String(36), primary_key=True),
    Column("line_key", String(40), nullable=False),
    Column("person_id", String(36), nullable=False, index=True),
    # The line as it stood when appealed: it may be recomputed away later.
    Column("line", JSON, nullable=False),
    Column("reason", String(500), nullable=False),
    Column("status", String(12), nullable=False),  # open | accepted | rejected
    Column("comment", String(500), nullable=True),
    Column("resolved_by", String(36), nullable=True),
    Column("resolved_at", UTCDateTime(), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False, index=True),
    # One open appeal per line, whoever races to file a second.
    Index("ux_appeals_open_line", "line_key", unique=True,
          sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
)
