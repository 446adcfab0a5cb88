"""An office upgrading keeps its standings: the migration that adds the year rows gives each
subject's year the sum of the quarters it kept, on SQLite and PostgreSQL."""
from alembic import command
from sqlalchemy import text

from minyi_common.db import make_engine
from minyi_common.migrate import alembic_config
from minyi_common.registry import migrations_dir

BEFORE_YEAR_ROWS = "43ffb820fc3a"


def test_the_year_rows_are_added_to_what_an_office_kept(databases):
    url = databases.url("scoring", migrate=False)
    config = alembic_config(migrations_dir("scoring"), url)
    command.upgrade(config, BEFORE_YEAR_ROWS)
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            for quarter, points in ((20253, 2.5), (20254, 3), (20261, 1)):
                connection.execute(text(
                    "INSERT INTO quarter_totals VALUES ('person', :q, 'p1', :p, 1, 1, 0, 0)"),
                    {"q": quarter, "p": points})
        command.upgrade(config, "head")
        with engine.connect() as connection:
            kept = {r.quarter: (float(r.points), r.submitted) for r in connection.execute(
                text("SELECT quarter, points, submitted FROM quarter_totals"))}
        assert kept == {20253: (2.5, 1), 20254: (3, 1), 20261: (1, 1),
                        20250: (5.5, 2), 20260: (1, 1)}
        command.downgrade(config, BEFORE_YEAR_ROWS)
        with engine.connect() as connection:
            assert sorted(r[0] for r in connection.execute(
                text("SELECT quarter FROM quarter_totals"))) == [20253, 20254, 20261]
    finally:
        engine.dispose()
