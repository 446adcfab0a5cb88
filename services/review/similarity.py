"""Similarity hints: which earlier reports read most like this one.

Reports are compared by the Jaccard similarity of their sets of character bigrams
(over title and text, punctuation and spaces dropped), which works for Chinese
without a word segmenter. An inverted index keeps the cost of one query far below a
full scan: only grams shared with the new report are looked at, and grams found in
too many reports (such as 建议, 问题) are skipped, as they say nothing about likeness.
Pure: no framework, no database.
"""
import re
import zlib
from array import array

import numpy as np

_NOT_TEXT = re.compile(r"[\s\W_]+", re.UNICODE)


def grams(*texts: str) -> frozenset:
    """Hashed character bigrams of the texts (crc32: stable across processes)."""
    found = set()
    for text in texts:
        clean = _NOT_TEXT.sub("", text or "").lower()
        found.update(zlib.crc32(clean[i:i + 2].encode("utf-8")) for i in range(len(clean) - 1))
    return frozenset(found)


class SimilarityIndex:
    def __init__(self, common_share: float = 0.05, common_floor: int = 200):
        self.keys = []                 # position -> report id
        self.positions = {}            # report id -> position
        self.sizes = array("i")        # position -> number of grams
        self.postings = {}             # gram -> array of positions
        self.common_share = common_share
        self.common_floor = common_floor
        self.last_seq = 0              # of the similarity_docs feed, for catching up

    def __len__(self) -> int:
        return len(self.keys)

    def __contains__(self, key) -> bool:
        return key in self.positions

    def add(self, key: str, doc_grams: frozenset) -> None:
        if key in self.positions:
            return
        position = len(self.keys)
        self.keys.append(key)
        self.positions[key] = position
        self.sizes.append(len(doc_grams))
        for gram in doc_grams:
            posting = self.postings.get(gram)
            if posting is None:
                self.postings[gram] = array("i", (position,))
            else:
                posting.append(position)

    def mark(self) -> tuple:
        """Where the index stands, to go back to with ``undo_to``."""
        return len(self.keys), self.last_seq

    def undo_to(self, mark: tuple) -> None:
        """Forget what was added since ``mark`` (read in a transaction that then rolled
        back); the feed is read again from there, so what did commit comes back."""
        size, self.last_seq = mark
        if len(self.keys) == size:
            return
        for key in self.keys[size:]:
            del self.positions[key]
        del self.keys[size:]
        del self.sizes[size:]
        for gram in list(self.postings):
            posting = self.postings[gram]
            # Positions are appended in increasing order: the newer ones are a tail.
            cut = len(posting)
            while cut and posting[cut - 1] >= size:
                cut -= 1
            if cut == 0:
                del self.postings[gram]
            elif cut < len(posting):
                del posting[cut:]

    def most_similar(self, doc_grams: frozenset, limit: int = 3, threshold: float = 0.2,
                     exclude: str | None = None) -> list:
        """[(report id, Jaccard similarity)] of the closest reports, best first."""
        if not self.keys or not doc_grams:
            return []
        common = max(self.common_floor, int(self.common_share * len(self.keys)))
        lists = [np.frombuffer(p, dtype=np.int32) for g in doc_grams
                 if (p := self.postings.get(g)) is not None and len(p) <= common]
        if not lists:
            return []
        shared = np.bincount(np.concatenate(lists), minlength=len(self.keys))
        candidates = np.flatnonzero(shared)
        sizes = np.frombuffer(self.sizes, dtype=np.int32)[candidates]
        inter = shared[candidates]
        scores = inter / (len(doc_grams) + sizes - inter)
        if exclude is not None and exclude in self.positions:
            scores[candidates == self.positions[exclude]] = 0
        keep = min(limit, len(scores))
        best = np.argpartition(-scores, keep - 1)[:keep]
        best = best[np.argsort(-scores[best])]
        return [(self.keys[candidates[i]], round(float(scores[i]), 4)) for i in best
                if scores[i] >= threshold]
