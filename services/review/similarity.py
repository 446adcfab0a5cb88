"""Similarity hints: which earlier reports read most like this one.

Reports are compared by the Jaccard similarity of their sets of character bigrams
(over title and text, punctuation and spaces dropped), which works for Chinese
without a word segmenter.

A report's bigrams would cost about 2.4 KB each to keep (2.4 GB at a million
reports), and rebuilding them means reading every report's text again. So a report is
kept as a bottom-k sketch instead: the SKETCH_SIZE smallest hashes of its bigrams,
worked out once when it arrives and stored with it. Two sketches estimate the Jaccard
similarity of their reports: of the SKETCH_SIZE smallest hashes of both together, the
share found in both. (Exact when the two reports have no more than SKETCH_SIZE
bigrams between them; otherwise its standard error is about 0.07 at a similarity of
0.2.) A hash in the SKETCH_SIZE smallest of both together and in a report's bigrams
is always in that report's sketch, so the sketches alone decide it.

Candidates come from an inverted index of sketch values: only reports sharing a value
with the new one are scored. Values found in too many sketches (bigrams such as 建议
whose hash happens to be small) are skipped, as they say nothing about likeness.

The index has a frozen part, every sketch grouped by value in three flat arrays
(built at once, a few seconds at a million reports), and a recent part in a dict for
the reports added since; the recent part is folded into the frozen one when it grows
past a tenth of it. About 380 bytes a report in all (360 MB at a million).

Pure: no framework, no database.
"""
import re
import threading
import zlib

import numpy as np

SKETCH_SIZE = 32
_EMPTY = np.uint32(0xFFFFFFFF)   # pads a sketch of a report with fewer bigrams
_KEY_BYTES = 36                  # report ids are uuids
_CANDIDATES = 256                # scored per query: those sharing the most values
_NOT_TEXT = re.compile(r"[\s\W_]+", re.UNICODE)


def _mix(values: np.ndarray) -> np.ndarray:
    """A 32-bit finaliser over crc32s, so that the smallest hashes are a fair sample
    of a report's bigrams (crc32 alone is linear)."""
    h = values.astype(np.uint32)
    h ^= h >> np.uint32(16)
    h *= np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(13)
    h *= np.uint32(0xC2B2AE35)
    h ^= h >> np.uint32(16)
    h[h == _EMPTY] = _EMPTY - np.uint32(1)
    return h


def sketch(*texts: str) -> np.ndarray:
    """The bottom-k sketch of the texts' bigrams: up to SKETCH_SIZE hashes, ascending
    (stable across processes: crc32, then a fixed mix)."""
    found = set()
    for text in texts:
        clean = _NOT_TEXT.sub("", text or "").lower()
        found.update(zlib.crc32(clean[i:i + 2].encode("utf-8")) for i in range(len(clean) - 1))
    if not found:
        return np.empty(0, np.uint32)
    hashes = np.unique(_mix(np.fromiter(found, np.uint32, len(found))))
    return hashes[:SKETCH_SIZE]


def sketch_to_bytes(values: np.ndarray) -> bytes:
    return np.asarray(values, dtype="<u4").tobytes()


def sketch_from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<u4").astype(np.uint32)


class SimilarityIndex:
    def __init__(self, common_share: float = 0.05, common_floor: int = 200):
        self.common_share = common_share
        self.common_floor = common_floor
        self.last_seq = 0          # of the similarity_docs feed, for catching up
        self.loaded = False        # the whole feed was read and frozen once
        # One catch-up at a time per instance: the background load at start and a
        # worker that needs the index now.
        self.catching_up = threading.RLock()
        self.count = 0
        self._sketches = np.full((1024, SKETCH_SIZE), _EMPTY, np.uint32)  # by position
        self._keys = np.zeros(1024, f"S{_KEY_BYTES}")                      # by position
        # Frozen part: positions below _frozen. _postings[_starts[i]:_starts[i + 1]]
        # are the positions whose sketch holds _values[i]; keys found by bisection.
        self._frozen = 0
        self._values = np.empty(0, np.uint32)
        self._starts = np.zeros(1, np.int64)
        self._postings = np.empty(0, np.int32)
        self._sorted_keys = np.zeros(0, f"S{_KEY_BYTES}")
        self._sorted_key_positions = np.empty(0, np.int32)
        # Recent part: positions from _frozen on.
        self._recent = {}          # sketch value -> [positions]
        self._recent_keys = {}     # key -> position

    def __len__(self) -> int:
        return self.count

    def __contains__(self, key) -> bool:
        return self._position(key) is not None

    def _position(self, key: str):
        position = self._recent_keys.get(key)
        if position is not None:
            return position
        if self._frozen:
            wanted = key.encode()
            i = int(np.searchsorted(self._sorted_keys, wanted))
            if i < self._frozen and self._sorted_keys[i] == wanted:
                return int(self._sorted_key_positions[i])
        return None

    def _make_room(self, rows: int) -> None:
        if self.count + rows <= len(self._keys):
            return
        capacity = max(2 * len(self._keys), self.count + rows)
        sketches = np.full((capacity, SKETCH_SIZE), _EMPTY, np.uint32)
        sketches[:self.count] = self._sketches[:self.count]
        keys = np.zeros(capacity, self._keys.dtype)
        keys[:self.count] = self._keys[:self.count]
        self._sketches, self._keys = sketches, keys

    def _append(self, key: str, values: np.ndarray) -> int:
        encoded = key.encode()
        if len(encoded) > _KEY_BYTES:
            raise ValueError(f"report id longer than {_KEY_BYTES} bytes: {key!r}")
        self._make_room(1)
        position = self.count
        self._keys[position] = encoded
        self._sketches[position, :len(values)] = values[:SKETCH_SIZE]
        self.count += 1
        return position

    def add(self, key: str, values: np.ndarray) -> None:
        """Add a report, to be found at once (in the recent part)."""
        if key in self:
            return
        position = self._append(key, values)
        self._recent_keys[key] = position
        for value in values[:SKETCH_SIZE].tolist():
            self._recent.setdefault(value, []).append(position)

    def load(self, keys: list, sketches: list) -> None:
        """Append reports read in bulk, not yet findable until ``freeze``; the feed's
        order guarantees they are new, so no key is looked up."""
        self._make_room(len(keys))
        for key, values in zip(keys, sketches):
            self._append(key, values)

    def freeze(self) -> None:
        """Group every sketch by value (the frozen part), leaving the recent part empty."""
        count = self.count
        flat = self._sketches[:count].reshape(-1)
        # Value and position in one 64-bit word: one sort groups by value with the
        # positions ascending in each group, at the memory of a single array.
        words = flat.astype(np.uint64) << np.uint64(32)
        words |= np.repeat(np.arange(count, dtype=np.uint64), SKETCH_SIZE)
        words = words[flat != _EMPTY]
        del flat
        words.sort()
        values = (words >> np.uint64(32)).astype(np.uint32)
        self._postings = (words & np.uint64(0xFFFFFFFF)).astype(np.int32)
        del words
        bounds = np.flatnonzero(values[1:] != values[:-1]) + 1
        self._values = values[np.concatenate(([0], bounds))] if len(values) else values
        self._starts = np.concatenate(([0], bounds, [len(values)])).astype(np.int64)
        del values
        order = np.argsort(self._keys[:count], kind="stable")
        self._sorted_keys = self._keys[:count][order]
        self._sorted_key_positions = order.astype(np.int32)
        self._frozen = count
        self._recent, self._recent_keys = {}, {}

    def finish_loading(self) -> None:
        """The whole feed is in: group it, and from now on add reports one by one."""
        self.freeze()
        self.loaded = True

    def mark(self) -> tuple:
        """Where the index stands, to go back to with ``undo_to``. Nothing is pending
        here, so this is when a grown recent part is folded in."""
        if self.count - self._frozen > max(20_000, self._frozen // 10):
            self.freeze()
        return self.count, self.last_seq

    def undo_to(self, mark: tuple) -> None:
        """Forget what was added since ``mark`` (read in a transaction that then rolled
        back); the feed is read again from there, so what did commit comes back."""
        size, self.last_seq = mark
        if self.count == size:
            return
        for position in range(size, self.count):
            del self._recent_keys[self._keys[position].decode()]
            for value in self._sketches[position].tolist():
                positions = self._recent.get(value)
                while positions and positions[-1] >= size:
                    positions.pop()
                if positions == []:
                    del self._recent[value]
        self._sketches[size:self.count] = _EMPTY
        self._keys[size:self.count] = b""
        self.count = size

    def nbytes(self) -> int:
        """Roughly what the index holds in memory."""
        arrays = (self._sketches, self._keys, self._values, self._starts, self._postings,
                  self._sorted_keys, self._sorted_key_positions)
        recent = len(self._recent) * 150 + len(self._recent_keys) * 150 + sum(
            8 * len(positions) for positions in self._recent.values())
        return sum(a.nbytes for a in arrays) + recent

    def most_similar(self, values: np.ndarray, limit: int = 3, threshold: float = 0.2,
                     exclude: str | None = None) -> list:
        """[(report id, estimated Jaccard similarity)] of the closest reports, best
        first."""
        if not self.count or not len(values):
            return []
        values = values[:SKETCH_SIZE]
        common = max(self.common_floor, int(self.common_share * self.count))
        # Every value looked up in the frozen part at once; a value's postings are taken
        # only when it is not too common, counted before any list is copied (in a burst of
        # reports on one matter the recent part holds thousands of positions per value).
        at = np.searchsorted(self._values, values)
        inside = np.minimum(at, max(len(self._values) - 1, 0))
        frozen = (at < len(self._values)) & (self._values[inside] == values) \
            if len(self._values) else np.zeros(len(values), bool)
        lists = []
        for value, hit, i in zip(values.tolist(), frozen.tolist(), inside.tolist()):
            start, end = (int(self._starts[i]), int(self._starts[i + 1])) if hit else (0, 0)
            recent = self._recent.get(value) or ()
            if end - start + len(recent) > common:
                continue
            if end > start:
                lists.append(self._postings[start:end])
            if recent:
                lists.append(np.array(recent, np.int32))
        if not lists:
            return []
        candidates, shared = np.unique(np.concatenate(lists), return_counts=True)
        if exclude is not None and (own := self._position(exclude)) is not None:
            keep = candidates != own
            candidates, shared = candidates[keep], shared[keep]
        if len(candidates) > _CANDIDATES:  # those sharing the most values are scored
            best = np.argpartition(-shared, _CANDIDATES - 1)[:_CANDIDATES]
            candidates = candidates[best]
        scores = _estimates(values, self._sketches[candidates])
        keep = min(limit, len(scores))
        if not keep:
            return []
        best = np.argpartition(-scores, keep - 1)[:keep]
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(self._keys[candidates[i]].decode(), round(float(scores[i]), 4))
                for i in best if scores[i] >= threshold]


def _estimates(query: np.ndarray, sketches: np.ndarray) -> np.ndarray:
    """The bottom-k estimate of Jaccard similarity between one sketch and each row."""
    rows = len(sketches)
    padded = np.full(SKETCH_SIZE, _EMPTY, np.uint32)
    padded[:len(query)] = query
    both = np.concatenate((np.broadcast_to(padded, (rows, SKETCH_SIZE)), sketches), axis=1)
    both.sort(axis=1)
    # Each sketch holds a value once, so a value in both is two equal neighbours.
    distinct = np.ones(both.shape, bool)
    distinct[:, 1:] = both[:, 1:] != both[:, :-1]
    distinct &= both != _EMPTY
    smallest = distinct & (np.cumsum(distinct, axis=1) <= SKETCH_SIZE)
    twice = np.zeros(both.shape, bool)
    twice[:, :-1] = both[:, :-1] == both[:, 1:]
    shared = (smallest & twice).sum(axis=1)
    total = smallest.sum(axis=1)
    return np.divide(shared, total, out=np.zeros(rows), where=total > 0)
