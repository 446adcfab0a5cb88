"""Review's tests: a migrated review database on each backend a test asks for."""
import pytest

from minyi_common.db import Database
from services.review.adapters.orm import metadata


@pytest.fixture
def db(databases):
    database = Database(databases.url("review"), metadata)
    yield database
    database.dispose()
