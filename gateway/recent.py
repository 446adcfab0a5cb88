"""The last answer of an expensive probe, kept a few seconds and shared (docs/security.md):
`/readyz` and `/metrics` ask the broker and every service, so a flood of anonymous
requests must not turn into a flood of connections and calls behind the gateway."""
import time

from eventlet.semaphore import Semaphore


class Recent:
    def __init__(self, seconds: float):
        self.seconds = seconds
        self._answers, self._locks = {}, {}

    def get(self, key, compute):
        """``compute()``'s answer, at most ``seconds`` old; a caller that arrives while
        another computes it waits for that answer instead of computing its own."""
        lock = self._locks.setdefault(key, Semaphore())
        with lock:
            found = self._answers.get(key)
            if found is not None and found[0] > time.monotonic():
                return found[1]
            value = compute()
            self._answers[key] = (time.monotonic() + self.seconds, value)
            return value
