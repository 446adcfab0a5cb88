"""entered on behalf (代录): who typed a report in, and the day it was handed in

Revision ID: 7c1d2e3f4a5b
Revises: 40203b313d34
Create Date: 2026-12-04 19:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '7c1d2e3f4a5b'
down_revision = '40203b313d34'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('entered_by', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('received_on', sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f('ix_reports_entered_by'), ['entered_by'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reports_entered_by'))
        batch_op.drop_column('received_on')
        batch_op.drop_column('entered_by')
