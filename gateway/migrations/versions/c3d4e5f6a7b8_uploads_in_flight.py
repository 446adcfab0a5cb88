"""uploads in flight: files stored and not yet claimed by their owner

Revision ID: c3d4e5f6a7b8
Revises: 162ddfb9a4b1
Create Date: 2026-12-04 20:15:00
"""
from alembic import op
import sqlalchemy as sa
import minyi_common.db


revision = 'c3d4e5f6a7b8'
down_revision = '162ddfb9a4b1'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'uploads_in_flight',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('created_at', minyi_common.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('key'))
    with op.batch_alter_table('uploads_in_flight', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_uploads_in_flight_created_at'), ['created_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('uploads_in_flight', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_uploads_in_flight_created_at'))
    op.drop_table('uploads_in_flight')
