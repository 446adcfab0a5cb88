"""A period's list read in index order: the counting instant, newest first, then id

Revision ID: c7d2e91f4a60
Revises: b63e4fbb51e3
Create Date: 2026-12-05 20:30:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = 'c7d2e91f4a60'
down_revision = 'b63e4fbb51e3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Serves the period's filter as the old index did, and its order as well.
    op.create_index('ix_reports_counted', 'reports',
                    [sa.text('coalesce(submitted_at, created_at) DESC'), 'id'])
    op.drop_index('ix_reports_counted_at', table_name='reports')


def downgrade() -> None:
    op.create_index('ix_reports_counted_at', 'reports',
                    [sa.text('coalesce(submitted_at, created_at)')])
    op.drop_index('ix_reports_counted', table_name='reports')
