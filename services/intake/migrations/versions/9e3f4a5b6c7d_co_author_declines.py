"""co-authors who left a report (退出联名)

Revision ID: 9e3f4a5b6c7d
Revises: 7c1d2e3f4a5b
Create Date: 2026-12-04 19:10:00
"""
from alembic import op
import sqlalchemy as sa
import minyi_common.db


revision = '9e3f4a5b6c7d'
down_revision = '7c1d2e3f4a5b'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'co_author_declines',
        sa.Column('report_id', sa.String(length=36), nullable=False),
        sa.Column('person_id', sa.String(length=36), nullable=False),
        sa.Column('at', minyi_common.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['report_id'], ['reports.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('report_id', 'person_id'))


def downgrade() -> None:
    op.drop_table('co_author_declines')
