"""report attachments (what each file is; the bytes are in the blob store)

Revision ID: a1b2c3d4e5f6
Revises: 9e3f4a5b6c7d
Create Date: 2026-12-04 20:10:00
"""
from alembic import op
import sqlalchemy as sa
import minyi_common.db


revision = 'a1b2c3d4e5f6'
down_revision = '9e3f4a5b6c7d'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'report_attachments',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('report_id', sa.String(length=36), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('content_type', sa.String(length=100), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('uploaded_by', sa.String(length=36), nullable=False),
        sa.Column('created_at', minyi_common.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['report_id'], ['reports.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key'))
    with op.batch_alter_table('report_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_attachments_report_id'), ['report_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('report_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_attachments_report_id'))
    op.drop_table('report_attachments')
