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
    # The web app's page the notice is about (/notices/…, /scores), as a path.
    Column("link", String(200), nullable=True),
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
    # The directory's version of this snapshot: an older one arriving late is ignored.
    Column("source_version", Integer, nullable=False, server_default="0"),
    Column("id", String(36), primary_key=True),
    Column("display_name", String(100), nullable=False),
    Column("roles", JSON, nullable=False),
    Column("unit_ids", JSON, nullable=False),
    Column("email", String(254), nullable=True),
    Column("phone", String(32), nullable=True),
    Column("wecom_userid", String(64), nullable=True),  # their member ID in the office's WeCom
    Column("active", Boolean, nullable=False),
)

preferences = Table(
    "preferences", metadata,
    Column("person_id", String(36), primary_key=True),
    Column("email", Boolean, nullable=False),
    # SMS are opt-in: each one costs the office money and reaches a phone at any hour.
    Column("sms", Boolean, nullable=False, server_default="0"),
    Column("wecom", Boolean, nullable=False, server_default="0"),
)

# Sign-in codes sent by SMS (docs/security.md): only a salted hash is kept, for 5
# minutes, for one use and a few tries; never in an event, an outbox or a delivery.
login_codes = Table(
    "login_codes", metadata,
    Column("id", String(36), primary_key=True),
    Column("person_id", String(36), nullable=False, index=True),
    Column("code_hash", String(64), nullable=False),
    Column("salt", String(32), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("tries", Integer, nullable=False, server_default="0"),
    Column("used_at", UTCDateTime(), nullable=True),
)

# Outside systems subscribed to event types; each delivery is signed with the secret.
webhooks = Table(
    "webhooks", metadata,
    Column("id", String(36), primary_key=True),
    Column("url", String(500), nullable=False),
    Column("event_types", JSON, nullable=False),
    # Sealed (adapters/sealing.py): "fernet:" and the token of a secret of ≤ 200 characters.
    Column("secret", String(600), nullable=False),
    Column("created_by", String(36), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

def sending_columns() -> list:
    """What a row sent by a loop keeps of its sending: claimed with a lease
    (``locked_until``), tried ``attempts`` times, next at ``next_attempt_at``."""
    return [Column("status", String(8), nullable=False),
            Column("attempts", Integer, nullable=False),
            Column("next_attempt_at", UTCDateTime(), nullable=False),
            Column("locked_until", UTCDateTime(), nullable=True),
            Column("last_error", Text, nullable=True),
            Column("created_at", UTCDateTime(), nullable=False),
            Column("sent_at", UTCDateTime(), nullable=True)]


# One row per (event, recipient, channel): email to a person, or a POST to a webhook.
deliveries = Table(
    "deliveries", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False),
    Column("event_type", String(80), nullable=False),
    Column("channel", String(8), nullable=False),
    Column("recipient", String(36), nullable=False),   # a person id or a webhook id
    Column("target", String(500), nullable=False),     # the address or URL at the time
    Column("subject", String(200), nullable=True),
    Column("body", Text, nullable=False),
    *sending_columns(),  # status: pending, sending, sent, failed
    UniqueConstraint("event_id", "recipient", "channel", name="uq_deliveries_key"),
    Index("ix_deliveries_due", "status", "next_attempt_at"),
)

# Links to other Minyi installs (报送 between levels, docs/federation.md): the same key id
# and secret on both sides; the secret sealed as webhooks' are.
links = Table(
    "links", metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("url", String(300), nullable=False),
    Column("level", String(16), nullable=False),
    Column("direction", String(8), nullable=False),  # upper or lower
    Column("key_id", String(64), nullable=False, unique=True),
    Column("secret", String(600), nullable=False),
    Column("allow_private", Boolean, nullable=False),
    # A lower office's unit in the directory: the reports it sends count for it.
    Column("unit_id", String(36), nullable=True),
    Column("created_by", String(36), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

# Messages to send down a link, in order per piece: one in flight per (link, piece), so
# that the other side applies them in the order they happened.
link_messages = Table(
    "link_messages", metadata,
    Column("id", String(36), primary_key=True),
    Column("link_id", String(36), nullable=False, index=True),
    Column("piece_key", String(36), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("body", Text, nullable=False),
    *sending_columns(),  # status: pending, sending, sent, parked
    UniqueConstraint("link_id", "piece_key", "seq", name="uq_link_messages_order"),
    Index("ix_link_messages_due", "status", "next_attempt_at"),
)

# Pieces this office sent up a link: what comes back about them is theirs to accept.
forwarded_pieces = Table(
    "forwarded_pieces", metadata,
    Column("piece_id", String(36), primary_key=True),
    Column("link_id", String(36), nullable=False),
    Column("forwarded_at", UTCDateTime(), nullable=False),
)

# Pieces a lower office sent here, each now a report: what happens to the report goes
# back down as the lower office's piece, numbered in order.
received_pieces = Table(
    "received_pieces", metadata,
    Column("report_id", String(36), primary_key=True),
    Column("link_id", String(36), nullable=False),
    Column("remote_piece_id", String(36), nullable=False),
    Column("next_seq", Integer, nullable=False),
    UniqueConstraint("link_id", "remote_piece_id", name="uq_received_pieces_remote"),
)

# Every message received, by its id: one seen before is answered 200 and changes nothing.
link_inbox = Table(
    "link_inbox", metadata,
    Column("message_id", String(36), primary_key=True),
    Column("link_id", String(36), nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
)
