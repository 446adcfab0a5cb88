"""Similarity-hint cost per submission with 20,000 reports on file (target: under 20 ms).

Builds a review database with N synthetic Chinese reports, catches an index up from it
(the cost a review instance pays once at start), then times, for each of M new
submissions, the work review does for hints: catch up, bigram the text, query the index,
store the hints. Environment: BENCH_ON_FILE (20000), BENCH_NEW (300).
"""
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone

from sqlalchemy import insert

from minyi_common.db import Database
from minyi_common.migrate import upgrade
from minyi_common.registry import migrations_dir
from services.review import handlers
from services.review.adapters.orm import cases, metadata, similarity_docs
from services.review.similarity import SimilarityIndex, grams

# A Zipf-distributed vocabulary of 20,000 two-to-four-character "words" over 3,500
# common characters: like real text, a few bigrams are everywhere and most are rare.
_CHARS = [chr(c) for c in range(0x4E00, 0x4E00 + 3500)]
_WORDS_RNG = random.Random(1)
WORDS = ["".join(_WORDS_RNG.choice(_CHARS) for _ in range(_WORDS_RNG.choice((2, 2, 3, 4))))
         for _ in range(20000)]
WEIGHTS = [1 / (rank + 1) for rank in range(len(WORDS))]
CATEGORIES = ("rural", "urban", "health", "education", "ecology", "economy")


def synthetic(rng):
    """A report of realistic length (about 600 characters)."""
    text = lambda n: "".join(rng.choices(WORDS, WEIGHTS, k=n)) + "。"
    return {"title": ("关于" + text(5))[:58], "situation": text(90), "analysis": text(70),
            "suggestions": text(60), "category": rng.choice(CATEGORIES)}


def pct(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def main() -> int:
    on_file = int(os.environ.get("BENCH_ON_FILE", "20000"))
    new = int(os.environ.get("BENCH_NEW", "300"))
    rng = random.Random(7)
    url = f"sqlite:///{tempfile.mkdtemp(prefix='minyi-sim-')}/review.db"
    upgrade(migrations_dir("review"), url)
    db = Database(url, metadata)
    now = datetime.now(timezone.utc)

    def case(report):
        return {"report_id": str(uuid.uuid4()), "author_id": "p", "co_author_ids": [],
                "unit_id": None, "consent_to_publish": True, "status": "submitted",
                "submitted_at": now, "outcomes": [], "version": 1, "updated_at": now, **report}

    rows = [case(synthetic(rng)) for _ in range(on_file)]
    with db.unit_of_work() as uow:
        uow.execute(insert(cases), rows)
        uow.execute(insert(similarity_docs), [{"report_id": r["report_id"]} for r in rows])
        uow.commit()

    index = SimilarityIndex()
    started = time.perf_counter()
    handlers.catch_up(db, index)
    catch_up = time.perf_counter() - started

    compute, full = [], []
    for _ in range(new):
        report = case(synthetic(rng))
        report["id"] = report["report_id"]
        t0 = time.perf_counter()
        index.most_similar(grams(report["title"], report["situation"], report["analysis"],
                                 report["suggestions"]), exclude=report["id"])
        compute.append(time.perf_counter() - t0)
        with db.unit_of_work() as uow:
            uow.execute(insert(cases).values(**{k: v for k, v in report.items() if k != "id"}))
            t1 = time.perf_counter()
            handlers.consumers._note_similar(uow, index, report, pause=lambda: None)
            full.append(time.perf_counter() - t1)
            uow.commit()
    db.dispose()

    ms = lambda v: v * 1000
    print(f"\nSimilarity hints with {on_file} reports on file ({new} new submissions, SQLite)")
    print(f"{'index catch-up at start':<38} {catch_up:7.2f} s  ({on_file / catch_up:,.0f} reports/s)")
    for name, values in (("bigrams + index query", compute),
                         ("hints as review does them (+ DB)", full)):
        print(f"{name:<38} p50 {ms(pct(values, 50)):6.2f} ms   p99 {ms(pct(values, 99)):6.2f} ms"
              f"   mean {ms(statistics.mean(values)):6.2f} ms")
    print(f"{'p99 / 20 ms target':<38} {ms(pct(full, 99)) / 20:6.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
