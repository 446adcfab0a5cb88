"""Concurrent requests' work gathered into one: submissions into one call to intake, and
the reads of who is calling into one statement.

At quarter end hundreds of members submit within seconds. Each submission alone costs an
RPC round trip and a transaction with its own commit, and each request a read of its
caller's account; gathered, one RPC and one commit serve many submissions, and one read
many callers. No request waits on a timer: while fewer than ``in_flight`` calls are on
the way, a request's call goes at once (a lone one as before, a batch of one). Only when
every slot is taken do the requests that arrive meanwhile wait together, and the first
of them carries them all in the next call as the slot frees. So a batch grows with the
load and no further, and every call starts after the requests it carries arrived.

Each caller still gets its own answer: the report it submitted (answered 201 only after
the transaction holding it committed), or its own error; a refused submission fails
alone (intake answers each one of a batch in its own right).
"""
import time

from eventlet.event import Event
from eventlet.semaphore import Semaphore
from nameko.extensions import DependencyProvider

from minyi_common.errors import ServiceUnavailable

# Calls to intake on the way at once from one gateway process. One is best measured: the
# next batch gathers while one is stored, and a burst's batches stay large (at two, the
# burst on PostgreSQL made 140 reports/s with p99 281 ms; at one, 164 with p99 173 ms).
# Several gateway processes each have their own.
IN_FLIGHT = 1
# Most submissions in one call (one transaction in intake).
MOST = 50
# A 503's words when no slot frees in time: texts of the message catalogue, so that the
# caller reads them in Chinese (a burst through a broker restart met an English one).
INTAKE_BUSY = "the intake service did not answer within {seconds:g} s"
DATABASE_BUSY = "the database is not answering"


class Gatherer:
    """``call(item, send, timeout)`` answers ``send([item, ...], remaining)[i]`` for the
    caller's item, sending many callers' items at once when they arrive together."""

    def __init__(self, in_flight: int = IN_FLIGHT, most: int = MOST,
                 busy: str = INTAKE_BUSY):
        self._slots = Semaphore(in_flight)
        self._busy = busy  # a 503's words; ``{seconds}`` is the caller's timeout
        self._most = most
        self._open = None  # the batch waiting for a slot, which later callers join

    def call(self, item, send, timeout: float):
        batch = self._open
        if batch is not None and len(batch) < self._most:
            waiting = Event()
            batch.append((item, waiting))
            return waiting.wait()  # the carrier always answers: a value or an error
        batch = self._open = [(item, None)]
        deadline = time.monotonic() + timeout
        try:
            try:
                # Does not yield when a slot is free: a lone submission goes at once.
                acquired = self._slots.acquire(timeout=timeout)
            finally:
                if self._open is batch:
                    self._open = None  # whoever comes now starts the next batch
            if not acquired:
                raise ServiceUnavailable(self._busy.format(seconds=timeout))
            try:
                answers = send([each for each, _ in batch],
                               max(0.001, deadline - time.monotonic()))
            finally:
                self._slots.release()
        except Exception as failed:
            for _, waiting in batch[1:]:
                waiting.send_exception(failed)
            raise
        except BaseException:
            # This carrier is being killed (the process stops): the others are told, not
            # left waiting for ever.
            for _, waiting in batch[1:]:
                waiting.send_exception(ServiceUnavailable("the gateway is stopping"))
            raise
        for (_, waiting), answer in zip(batch[1:], answers[1:]):
            waiting.send(answer)
        return answers[0]


class Gathered(DependencyProvider):
    """A gateway process's own ``Gatherer`` for one kind of call."""

    def __init__(self, busy: str):
        self.busy = busy

    def setup(self):
        self.gatherer = Gatherer(busy=self.busy)

    def get_dependency(self, worker_ctx):
        return self.gatherer
