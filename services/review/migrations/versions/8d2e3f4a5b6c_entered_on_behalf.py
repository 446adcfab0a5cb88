"""entered on behalf (代录): who typed a report in, and the day it was handed in

Revision ID: 8d2e3f4a5b6c
Revises: fbf3b584a1a3
Create Date: 2026-12-04 19:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '8d2e3f4a5b6c'
down_revision = 'fbf3b584a1a3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('entered_by', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('received_on', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('received_on')
        batch_op.drop_column('entered_by')
