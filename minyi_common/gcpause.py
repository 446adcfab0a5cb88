"""Building a large answer without the cyclic garbage collector.

A province's bulletin is some 100,000 rows of dicts and lists made in one go. Each
allocation counts towards CPython's next collection, and every full collection walks all
of them while they are still being built: a third of the bulletin's time went there.
Those rows hold no reference cycles (reference counting frees them), so the collector is
paused while they are built and resumed when the last builder is done. The rest of the
process (other green threads) runs without it meanwhile; whatever cycles they make wait
those few seconds to be collected.
"""
import contextlib
import gc
import threading

_lock = threading.Lock()
_builders = 0
_resume = False


class collector_paused(contextlib.ContextDecorator):
    """Pauses cyclic collection for the block (or decorated call); overlapping blocks, in
    threads or green threads, resume it only when the last one ends, and only if it ran
    before the first began."""

    def __enter__(self):
        global _builders, _resume
        with _lock:
            if _builders == 0:
                _resume = gc.isenabled()
                gc.disable()
            _builders += 1
        return self

    def __exit__(self, *exc):
        global _builders
        with _lock:
            _builders -= 1
            if _builders == 0 and _resume:
                gc.enable()
        return False
