"""outcome attachments (the scanned 批示件; the bytes are in the blob store)

Revision ID: b1c2d3e4f5a6
Revises: af4a5b6c7d8e
Create Date: 2026-12-04 20:40:00
"""
from alembic import op
import sqlalchemy as sa
import minyi_common.db


revision = 'b1c2d3e4f5a6'
down_revision = 'af4a5b6c7d8e'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'outcome_attachments',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('outcome_id', sa.String(length=36), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('content_type', sa.String(length=100), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('uploaded_by', sa.String(length=36), nullable=False),
        sa.Column('created_at', minyi_common.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key'))
    with op.batch_alter_table('outcome_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outcome_attachments_outcome_id'), ['outcome_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outcome_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outcome_attachments_outcome_id'))
    op.drop_table('outcome_attachments')
