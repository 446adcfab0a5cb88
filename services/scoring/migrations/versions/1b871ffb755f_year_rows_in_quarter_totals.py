"""year rows in quarter totals: each subject's whole-year figures (quarter key YYYY0) beside
its quarters', so that a year's standings read one row per subject

Revision ID: 1b871ffb755f
Revises: 43ffb820fc3a
Create Date: 2026-11-28 09:21:59.778965
"""
from alembic import op


revision = '1b871ffb755f'
down_revision = '43ffb820fc3a'
branch_labels = None
depends_on = None

FIGURES = ("points", "submitted", "adopted", "upstream_adopted", "instructions")


def upgrade() -> None:
    # The year rows of what is kept already: the sum of each subject's quarters.
    sums = ", ".join(f"SUM({f})" for f in FIGURES)
    op.execute(f"INSERT INTO quarter_totals (subject_kind, quarter, subject_id, "
               f"{', '.join(FIGURES)}) "
               f"SELECT subject_kind, (quarter / 10) * 10, subject_id, {sums} "
               f"FROM quarter_totals WHERE quarter % 10 <> 0 "
               f"GROUP BY subject_kind, quarter / 10, subject_id")


def downgrade() -> None:
    op.execute("DELETE FROM quarter_totals WHERE quarter % 10 = 0")
