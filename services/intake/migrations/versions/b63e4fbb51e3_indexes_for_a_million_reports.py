"""Indexes for a million reports: the list's order, the counting instant, category

Revision ID: b63e4fbb51e3
Revises: 181678567598
Create Date: 2026-12-05 17:16:10.276302
"""
from alembic import op
import sqlalchemy as sa
import minyi_common.db


revision = 'b63e4fbb51e3'
down_revision = '181678567598'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The list's order, and the instant a report counts from (its quarter's filter).
    op.create_index('ix_reports_newest', 'reports', [sa.text('created_at DESC'), 'id'])
    op.create_index('ix_reports_counted_at', 'reports',
                    [sa.text('coalesce(submitted_at, created_at)')])
    # Counting a category's reports reads the index, not every report's text.
    op.create_index('ix_reports_category', 'reports', ['category'])


def downgrade() -> None:
    op.drop_index('ix_reports_category', table_name='reports')
    op.drop_index('ix_reports_counted_at', table_name='reports')
    op.drop_index('ix_reports_newest', table_name='reports')
