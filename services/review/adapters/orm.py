"""Review's tables: one case per report, its decisions, edits, outcomes and history."""
from sqlalchemy import (JSON, Boolean, Column, Date, Float, Integer, LargeBinary, MetaData,
                        String, Table, Text, UniqueConstraint)

from minyi_common.db import UTCDateTime, file_columns, plumbing_tables

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
    # The published piece this report went into (its own, or a merged one).
    Column("piece_id", String(36), nullable=True),
    # Optimistic concurrency: every decision updates WHERE version = the version read.
    Column("version", Integer, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    # When the newest intake event applied to this case happened: older ones that arrive
    # late (events of different types travel on different queues) change nothing.
    Column("intake_at", UTCDateTime(), nullable=True),
    # 苗头性、预警性: first in the queue (docs/office.md).
    Column("urgent", Boolean, nullable=False, server_default="0"),
    # 代录: who typed it in for its author, and the office day it was handed in (the
    # period it counts in, passed on with every decision).
    Column("entered_by", String(36), nullable=True),
    Column("received_on", Date, nullable=True),
    # Co-authors who left (退出联名): kept out of co_author_ids whatever a late event says.
    Column("declined_ids", JSON, nullable=True),
    # A report that came by a link from a lower office (docs/federation.md): that office,
    # and its authors as it credits them (name and unit, as text; no accounts here).
    Column("from_office", String(100), nullable=True),
    Column("credited", JSON, nullable=True),
)

# Files on an outcome (the scanned 批示件): what each is and where the gateway keeps its
# bytes. An outcome id is shared by the sources of a merged piece, and so are its files.
outcome_attachments = Table(
    "outcome_attachments", metadata,
    Column("id", String(36), primary_key=True),
    Column("outcome_id", String(36), nullable=False, index=True),
    *file_columns(),
)

# Hand-offs (转办): a report handed to a town office or a department with a due date,
# the unit's reply (办复) and the author's rating. A report may go to several units.
handoffs = Table(
    "handoffs", metadata,
    Column("id", String(36), primary_key=True),
    Column("report_id", String(36), nullable=False, index=True),
    Column("unit_id", String(36), nullable=False, index=True),
    Column("unit_name", String(100), nullable=False),
    Column("due_on", Date, nullable=False, index=True),
    Column("note", Text, nullable=True),
    Column("created_by", String(36), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("reply_text", Text, nullable=True),
    Column("resolution", String(16), nullable=True),
    Column("replied_by", String(36), nullable=True),
    Column("replied_at", UTCDateTime(), nullable=True),
    Column("rating", String(24), nullable=True),
    Column("rating_comment", Text, nullable=True),
    Column("rated_by", String(36), nullable=True),
    Column("rated_at", UTCDateTime(), nullable=True),
    # The reminders already sent: each goes once, whichever instance's timer finds it.
    Column("reminded_due_soon", Boolean, nullable=False, server_default="0"),
    Column("reminded_overdue", Boolean, nullable=False, server_default="0"),
    # Optimistic concurrency, as for cases: a second reply or rating written at the same
    # moment finds the version moved on.
    Column("version", Integer, nullable=False, server_default="1"),
    UniqueConstraint("report_id", "unit_id", name="uq_handoffs_report_unit"),
)

# Files on a hand-off's reply (办复件), as for outcomes.
handoff_attachments = Table(
    "handoff_attachments", metadata,
    Column("id", String(36), primary_key=True),
    Column("handoff_id", String(36), nullable=False, index=True),
    *file_columns(),
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

# A feed of every case in the order review learned of it: each instance's in-memory
# similarity index catches up from here, also with cases other instances received.
similarity_docs = Table(
    "similarity_docs", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("report_id", String(36), nullable=False, unique=True),
    # The report's bottom-k sketch (similarity.py), worked out once, when it arrived:
    # an instance loads these at start instead of reading every report's text. Rows
    # from before sketches were kept have none until an instance first reads them.
    Column("sketch", LargeBinary, nullable=True),
)

# The most similar earlier reports, worked out when a report arrives.
similarity_hints = Table(
    "similarity_hints", metadata,
    Column("report_id", String(36), primary_key=True),
    # Looked up both ways: a hint found when the later report came in is shown on the
    # earlier one too.
    Column("similar_report_id", String(36), primary_key=True, index=True),
    Column("score", Float, nullable=False),
)

# What is published: one piece per single adoption, one per merge (综合采用).
pieces = Table(
    "pieces", metadata,
    Column("id", String(36), primary_key=True),
    Column("mode", String(8), nullable=False),
    Column("title", String(60), nullable=False),
    Column("situation", Text, nullable=False),
    Column("analysis", Text, nullable=False),
    Column("suggestions", Text, nullable=False),
    Column("source_report_ids", JSON, nullable=False),
    Column("issue_id", String(36), nullable=True, index=True),
    Column("position", Integer, nullable=True),
    Column("created_by", String(36), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    # Forwarded up a link (报送): what that office does with it comes back by the link,
    # so an editor records nothing by hand at or above its level.
    Column("forwarded_link_id", String(36), nullable=True),
    Column("forwarded_level", String(16), nullable=True),
)

# Numbered issues of the office's 《社情民意》 (期).
issues = Table(
    "issues", metadata,
    Column("id", String(36), primary_key=True),
    Column("year", Integer, nullable=False),
    Column("number", Integer, nullable=False),
    Column("published_on", Date, nullable=False),
    # What the printed issue says besides its pieces (GB/T 9704: 签发, 版记).
    Column("total_number", Integer, nullable=True),   # 总第M期; counted when not given
    Column("signed_by", String(50), nullable=True),    # 签发
    Column("report_to", Text, nullable=True),          # 报：
    Column("send_to", Text, nullable=True),            # 送：
    Column("editor_name", String(50), nullable=True),  # 编辑：
    Column("copies", Integer, nullable=True),          # 共印N份
    Column("created_by", String(36), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("year", "number", name="uq_issues_year_number"),
)

people = Table(
    "people", metadata,
    # The directory's version of this snapshot: an older one arriving late is ignored.
    Column("source_version", Integer, nullable=False, server_default="0"),
    Column("id", String(36), primary_key=True),
    Column("display_name", String(100), nullable=False),
    Column("unit_ids", JSON, nullable=False),
    Column("roles", JSON, nullable=False, server_default="[]"),
)

units = Table(
    "units", metadata,
    # The directory's version of this snapshot: an older one arriving late is ignored.
    Column("source_version", Integer, nullable=False, server_default="0"),
    Column("id", String(36), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("kind", String(32), nullable=False),
)
