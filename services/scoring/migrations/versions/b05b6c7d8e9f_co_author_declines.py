"""co-authors who left a report (退出联名)

Revision ID: b05b6c7d8e9f
Revises: 1b871ffb755f
Create Date: 2026-12-04 19:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'b05b6c7d8e9f'
down_revision = '1b871ffb755f'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('report_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('declined_ids', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('report_records', schema=None) as batch_op:
        batch_op.drop_column('declined_ids')
