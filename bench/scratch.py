"""A scratch PostgreSQL database for a benchmark, made and dropped around it."""
import contextlib
import io
import os
import uuid

from sqlalchemy import text
from sqlalchemy.engine import make_url

from minyi_common.db import make_engine

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


@contextlib.contextmanager
def scratch_database():
    """The URL of a new database on MINYI_TEST_PG_URL's server, dropped afterwards
    (kept, and named, with BENCH_KEEP=1)."""
    server = os.environ.get("MINYI_TEST_PG_URL", DEFAULT_SERVER)
    name = f"minyi_bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        if os.environ.get("BENCH_KEEP"):
            print(f"kept database {name}")
        else:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def copy_rows(engine, table, columns, rows):
    """COPY tab-separated text rows into a table (far faster than INSERTs)."""
    raw = engine.raw_connection()
    try:
        buffer = io.StringIO("".join("\t".join(row) + "\n" for row in rows))
        raw.cursor().copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)
        raw.commit()
    finally:
        raw.close()
