"""Login limits (docs/security.md): by (username, address), by address, and a ceiling in all that
never stops an address with no failures; counted in the gateway's database on SQLite and
PostgreSQL, one address's attempts at a time."""
import pytest
from werkzeug.test import EnvironBuilder

from gateway import directory
from gateway.directory import sessions
from gateway.adapters.orm import metadata
from gateway.http import client_address
from minyi_common.db import Database
from minyi_common.errors import Unauthorized
from minyi_common.testing import race


@pytest.fixture
def db(databases):
    database = Database(databases.url("gateway"), metadata)
    directory.create_user(database, None, {"username": "admin", "password": "admin-pass-123",
                                           "display_name": "管理员", "roles": ["admin"]})
    yield database
    database.dispose()


def attempt(db, username, password, address):
    try:
        directory.authenticate(db, {"username": username, "password": password}, address)
        return "ok"
    except Unauthorized:
        return 401
    except directory.TooManyAttempts as exc:
        assert 1 <= exc.retry_after <= 61
        return 429


def test_someone_failing_against_admin_elsewhere_does_not_lock_the_admin_out(db):
    for _ in range(directory.LOGIN_FAILURE_LIMIT):
        assert attempt(db, "admin", "guess", "203.0.113.9") == 401
    # The guesser waits, even with the right password...
    assert attempt(db, "admin", "admin-pass-123", "203.0.113.9") == 429
    # ...the admin at their own desk does not.
    assert attempt(db, "admin", "admin-pass-123", "198.51.100.7") == "ok"


def test_made_up_usernames_from_one_address_are_throttled(db):
    for n in range(directory.ADDRESS_FAILURE_LIMIT):
        assert attempt(db, f"nobody{n}", "guess", "203.0.113.9") == 401
    assert attempt(db, "nobody-else", "guess", "203.0.113.9") == 429
    assert attempt(db, "admin", "admin-pass-123", "198.51.100.7") == "ok"


def test_a_flood_from_everywhere_stops_those_that_failed_not_the_others(db, monkeypatch):
    monkeypatch.setattr(sessions, "GLOBAL_FAILURE_LIMIT", 12)  # where login reads it
    for n in range(12):  # twelve addresses, one failure each: none over its own limits
        assert attempt(db, "admin", "guess", f"203.0.113.{n}") == 401
    assert attempt(db, "admin", "admin-pass-123", "203.0.113.3") == 429  # it failed before
    assert attempt(db, "admin", "admin-pass-123", "198.51.100.7") == "ok"  # it did not


def test_a_burst_from_one_address_cannot_slip_past_its_count(db):
    """Twelve wrong passwords at the same moment from one address: the count is taken
    one attempt at a time, so no more than the limit are ever checked."""
    results = race(*[lambda: attempt(db, "admin", "guess", "203.0.113.9")
                     for _ in range(12)])
    assert sorted(results, key=str) == sorted([401] * directory.LOGIN_FAILURE_LIMIT
                                              + [429] * (12 - directory.LOGIN_FAILURE_LIMIT),
                                              key=str), results


def test_the_client_behind_trusted_proxies_is_the_one_they_name():
    """Behind one trusted proxy the client is the last X-Forwarded-For entry (what the
    proxy saw); entries further left are the client's own words; with no trusted proxy
    the header is ignored, so nobody can pick the address their failures count against."""
    def request(forwarded=None):
        headers = {"X-Forwarded-For": forwarded} if forwarded else {}
        return EnvironBuilder(headers=headers,
                              environ_base={"REMOTE_ADDR": "10.0.0.2"}).get_request()
    assert client_address(request("203.0.113.9"), 0) == "10.0.0.2"
    assert client_address(request("1.2.3.4, 203.0.113.9"), 1) == "203.0.113.9"
    assert client_address(request("1.2.3.4, 203.0.113.9, 10.0.0.3"), 2) == "203.0.113.9"
    assert client_address(request(), 1) == "10.0.0.2"
