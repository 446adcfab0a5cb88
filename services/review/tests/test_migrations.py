"""An office upgrading keeps its hand-offs: the migration that gives hand-offs rows of
their own makes one of each case's single handoff_unit_id, on SQLite and PostgreSQL, and
going back restores the column."""
from alembic import command
from sqlalchemy import text

from minyi_common.db import make_engine
from minyi_common.migrate import alembic_config
from minyi_common.registry import migrations_dir
from minyi_common.testing import both_backends

BEFORE_HANDOFF_ROWS = "c2d3e4f5a6b7"
CASE = ("INSERT INTO cases (report_id, author_id, co_author_ids, unit_id, title, situation, "
        "analysis, suggestions, category, consent_to_publish, status, submitted_at, decision, "
        "outcomes, version, updated_at, urgent, handoff_unit_id) VALUES (:id, 'a', '[]', NULL, "
        "'关于某事的建议', '情况', '分析', '建议', 'rural', true, :status, "
        "'2026-10-01 02:00:00', :decision, '[]', 2, '2026-10-02 03:00:00', false, :unit)")


@both_backends
def test_each_case_handed_to_a_town_becomes_a_hand_off_row(databases):
    url = databases.url("review", migrate=False)
    config = alembic_config(migrations_dir("review"), url)
    command.upgrade(config, BEFORE_HANDOFF_ROWS)
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO units (source_version, id, name, kind) "
                                    "VALUES (1, 'town', '城关镇政协工作室', 'town_office')"))
            connection.execute(text(CASE), {"id": "r1", "status": "rejected", "unit": "town",
                                            "decision": '{"by": "editor-1", "reason_code": '
                                                        '"local_matter"}'})
            connection.execute(text(CASE), {"id": "r2", "status": "adopted", "unit": None,
                                            "decision": '{"by": "editor-1"}'})
        command.upgrade(config, "head")
        with engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT report_id, unit_id, unit_name, due_on, created_by, reminded_overdue "
                "FROM handoffs")).all()
        assert [(r.report_id, r.unit_id, r.unit_name, str(r.due_on), r.created_by,
                 bool(r.reminded_overdue)) for r in rows] == [
            ("r1", "town", "城关镇政协工作室", "2026-11-01", "editor-1", True)]
        command.downgrade(config, BEFORE_HANDOFF_ROWS)
        with engine.connect() as connection:
            back = dict(connection.execute(text(
                "SELECT report_id, handoff_unit_id FROM cases")).all())
        assert back == {"r1": "town", "r2": None}
    finally:
        engine.dispose()
