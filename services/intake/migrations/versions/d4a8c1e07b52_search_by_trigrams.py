"""Search served by a trigram index over a report's whole text (PostgreSQL)

Revision ID: d4a8c1e07b52
Revises: c7d2e91f4a60
Create Date: 2026-12-06 00:30:00.000000
"""
import logging

from alembic import op


revision = 'd4a8c1e07b52'
down_revision = 'c7d2e91f4a60'
branch_labels = None
depends_on = None

log = logging.getLogger(__name__)

# The very expression the repository searches (its _whole_text): PostgreSQL
# uses an expression index only for the same expression.
SEARCHED = "(title || ' ' || situation || ' ' || analysis || ' ' || suggestions)"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite reads every row; an office's few thousand take milliseconds
    # pg_trgm ships with PostgreSQL and is trusted (a database's owner may add it); a
    # server built without it searches as SQLite does, by reading every row.
    available = op.get_bind().exec_driver_sql(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'").first()
    if not available:
        log.warning("pg_trgm is not installed on this server: search reads every report")
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(f"CREATE INDEX ix_reports_searched ON reports USING gin ({SEARCHED} gin_trgm_ops)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_reports_searched")
