"""similarity hints read both ways: index on the similar report

Revision ID: c2d3e4f5a6b7
Revises: b1c2d3e4f5a6
Create Date: 2026-12-04 23:00:00
"""
from alembic import op


revision = 'c2d3e4f5a6b7'
down_revision = 'b1c2d3e4f5a6'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('similarity_hints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_similarity_hints_similar_report_id'),
                              ['similar_report_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('similarity_hints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_similarity_hints_similar_report_id'))
