"""Alembic, driven from code: every service keeps its own ``migrations/`` folder."""
import logging
from contextlib import contextmanager

from alembic import command
from alembic.config import Config

from sqlalchemy import text

from .db import make_engine

# Any fixed number: instances of one service that start together take turns on it.
_STARTUP_LOCK_KEY = 74_126_001


@contextmanager
def startup_lock(db_url: str):
    """Serialise migrations and first-start data between instances of one service
    (`--scale scoring=3` starts three at once) with a PostgreSQL advisory lock."""
    engine = make_engine(db_url)
    try:
        if engine.dialect.name != "postgresql":
            yield
            return
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _STARTUP_LOCK_KEY})
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"),
                                   {"key": _STARTUP_LOCK_KEY})
    finally:
        engine.dispose()


def alembic_config(migrations_dir: str, db_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", migrations_dir)
    # ConfigParser treats % as interpolation; URLs may carry escaped characters.
    cfg.set_main_option("sqlalchemy.url", db_url.replace("%", "%%"))
    return cfg


def upgrade(migrations_dir: str, db_url: str) -> None:
    logging.getLogger("alembic").setLevel(logging.WARNING)
    command.upgrade(alembic_config(migrations_dir, db_url), "head")


def run_env(target_metadata) -> None:
    """The body of every service's ``migrations/env.py``."""
    from alembic import context

    url = context.config.get_main_option("sqlalchemy.url")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True,
                          render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=True, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
