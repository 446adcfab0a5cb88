"""Telling an outage once: a broker or database that went away is one log line when it
goes and one when it is back, not a traceback per attempt."""
import logging
import random
import sqlite3
import threading
import time

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from .amqp import CONNECTION_ERRORS

log = logging.getLogger(__name__)


# PostgreSQL's codes for a server going or gone: connection exceptions (class 08),
# admin or crash shutdown, cannot connect now (starting up).
_PG_AWAY = ("08", "57P01", "57P02", "57P03")


# SQLite's only "away": the file locked by a writer too long, or not to be opened.
_SQLITE_AWAY = ("database is locked", "unable to open database", "disk i/o error")


def what_is_away(exc: BaseException) -> str | None:
    """'the broker' or 'the database' when ``exc`` says one of them is unreachable."""
    if isinstance(exc, DBAPIError):
        if isinstance(exc.orig, sqlite3.Error):
            # (not "no such table" and the like: those are bugs, and must fail loudly)
            away = any(text in str(exc.orig).lower() for text in _SQLITE_AWAY)
            return "the database" if away else None
        code = getattr(exc.orig, "pgcode", None)
        if exc.connection_invalidated or (code and code.startswith(_PG_AWAY)) or (
                not code and isinstance(exc, (OperationalError, InterfaceError))):
            # (no code: the connection failed or broke before the server said anything)
            return "the database"
        return None
    if isinstance(exc, CONNECTION_ERRORS):
        return "the broker"
    return None


class Outages:
    """Per background job: the outage it is in, if any."""

    def __init__(self):
        self._since = {}
        self._lock = threading.Lock()

    def noticed(self, job: str, exc: BaseException) -> bool:
        """True (and one warning per outage) when ``exc`` is an outage; False otherwise."""
        away = what_is_away(exc)
        if away is None:
            return False
        with self._lock:
            first = job not in self._since
            if first:
                self._since[job] = (away, time.monotonic())
        if first:
            log.warning("%s: %s is not answering (%s: %s); trying again with backoff",
                        job, away, exc.__class__.__name__, str(exc).strip()[:200])
        return True

    def over(self, job: str) -> None:
        with self._lock:
            outage = self._since.pop(job, None)
        if outage is not None:
            log.warning("%s: %s is back after %.1f s", job, outage[0],
                        time.monotonic() - outage[1])


class BrokerOutage:
    """For work that meets a lost broker in passing (an answer, an ack): one warning per
    ``quiet`` seconds, however many workers meet it."""

    def __init__(self, quiet: float = 30.0):
        self.quiet, self._last = quiet, 0.0

    def noticed(self, doing: str, exc: BaseException) -> None:
        now = time.monotonic()
        if now - self._last >= self.quiet:
            self._last = now
            log.warning("the broker went away while %s (%s: %s); the broker gives the "
                        "message back after it reconnects (further such lines are held "
                        "back for %g s)", doing, exc.__class__.__name__,
                        str(exc).strip()[:200], self.quiet)


OUTAGES = Outages()
BROKER_OUTAGE = BrokerOutage()


def until_done(job: str, step, first_pause: float = 0.5, max_pause: float = 30.0) -> None:
    """``step()`` until it returns without an exception: again after a growing pause,
    with jitter, on any failure (an outage told once; anything else with its
    traceback). For jobs a service runs once at start, in a thread nameko would
    otherwise lose the whole container over."""
    failures = 0
    while True:
        try:
            step()
            OUTAGES.over(job)
            return
        except Exception as exc:
            failures += 1
            if not OUTAGES.noticed(job, exc):
                log.exception("%s failed (attempt %s); it will try again", job, failures)
        time.sleep(min(max_pause, first_pause * 2 ** failures) * random.uniform(0.5, 1.0))
