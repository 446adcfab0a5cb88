"""The gateway's tables: the directory (accounts, roles, units) it owns (docs/architecture.md)."""
from sqlalchemy import JSON, Boolean, Column, Integer, MetaData, String, Table, Text

from minyi_common.db import UTCDateTime, plumbing_tables

metadata = MetaData()
plumbing_tables(metadata)

users = Table(
    "users", metadata,
    Column("id", String(36), primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("display_name", String(100), nullable=False),
    Column("roles", JSON, nullable=False),
    Column("unit_ids", JSON, nullable=False),
    Column("email", String(254), nullable=True),
    Column("phone", String(32), nullable=True),
    # Their member ID (UserID) in the office's WeCom (企业微信), for app messages.
    Column("wecom_userid", String(64), nullable=True),
    Column("active", Boolean, nullable=False),
    # Set by an admin's reset (and for imported accounts): choose a new password first.
    Column("must_change_password", Boolean, nullable=False, server_default="0"),
    Column("is_standing", Boolean, nullable=False, server_default="0"),  # 常委
    Column("term", String(20), nullable=True),                           # 届次, e.g. 十五届
    # Bumped when a password changes or an account is disabled: older tokens stop working.
    Column("token_version", Integer, nullable=False),
    # Bumped by every change; directory events carry it so copies keep the newest.
    Column("row_version", Integer, nullable=False, server_default="1"),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

units = Table(
    "units", metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("row_version", Integer, nullable=False, server_default="1"),
)

# Requests for sign-in codes by SMS (docs/security.md), counted per number and per
# address: each costs the office an SMS and reaches someone's phone.
sms_code_requests = Table(
    "sms_code_requests", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("phone", String(11), nullable=False, index=True),
    Column("address", String(45), nullable=False, index=True),
    Column("at", UTCDateTime(), nullable=False, index=True),
)

login_failures = Table(
    "login_failures", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, index=True),
    # Where the attempt came from (the client's address as the gateway sees it).
    Column("address", String(45), nullable=True, index=True),
    Column("at", UTCDateTime(), nullable=False, index=True),
)

# Browser sessions (docs/web.md): the cookie carries a random token, the table its SHA-256,
# so that logging out ends the session on the server and a stolen table opens nothing.
sessions = Table(
    "sessions", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", String(36), nullable=False, index=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False, index=True),
)

# Files stored in the blob store and not yet claimed by the service that owns them. A
# gateway killed between the two leaves a row here; the sweep drops its bytes later, so
# no half-claimed file is ever reachable (no service knows of it).
uploads_in_flight = Table(
    "uploads_in_flight", metadata,
    Column("key", String(64), primary_key=True),
    Column("created_at", UTCDateTime(), nullable=False, index=True),
)

settings = Table(
    "settings", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

# The audit log (gateway/audit.py): inserts only; the migration's triggers refuse the rest.
audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime(), nullable=False, index=True),
    Column("actor_id", String(36), nullable=True, index=True),
    # The username: the account's, or the one a failed sign-in tried.
    Column("actor_name", String(64), nullable=True, index=True),
    Column("address", String(45), nullable=True),
    Column("action", String(32), nullable=False, index=True),
    Column("target", String(200), nullable=True),
    Column("status", Integer, nullable=False),
    Column("request_id", String(100), nullable=True),
    Column("detail", JSON, nullable=False),
)
