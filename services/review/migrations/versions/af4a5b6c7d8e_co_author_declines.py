"""co-authors who left a report (退出联名)

Revision ID: af4a5b6c7d8e
Revises: 8d2e3f4a5b6c
Create Date: 2026-12-04 19:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'af4a5b6c7d8e'
down_revision = '8d2e3f4a5b6c'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('declined_ids', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('declined_ids')
