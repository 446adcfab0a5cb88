"""Review's similarity hints at a province's scale (PostgreSQL).

Fills a scratch review database's similarity feed with BENCH_ON_FILE (1,000,000)
reports' sketches, then measures what an instance pays:
- start: loading the index from the stored sketches (target: ready within 30 s);
- memory: what the index holds, and the process's resident memory before and after
  (target: 500 MB);
- a query: p50 and p99 over BENCH_NEW (300) new reports (target: 20 ms), and how often
  the report a new one was rewritten from is its first hint (recall);
- the hints as review works them out for a submission, with the database (catch up,
  sketch the text, query, store).

Reports are drawn in the sketch's own terms, so a million fit in a minute: each has
BENCH_GRAMS (500) bigrams drawn (some more than once) from a Zipf-distributed vocabulary of 400,000 (as
in real text, a few bigrams are everywhere and most are rare). A new report keeps 70%
of an earlier one's bigrams and draws the rest afresh (a Jaccard similarity near 0.5).
Environment: MINYI_TEST_PG_URL (a server where a scratch database may be made).
"""
import io
import os
import statistics
import sys
import time
import uuid
from datetime import datetime, timezone

import numpy as np
from sqlalchemy import insert

from bench.scratch import scratch_database
from minyi_common.db import Database
from minyi_common.migrate import upgrade
from minyi_common.registry import migrations_dir
from services.review import handlers, similarity
from services.review.adapters.orm import cases, metadata
from services.review.adapters.repository import ReviewRepository
from services.review.similarity import SKETCH_SIZE, SimilarityIndex

VOCABULARY = 400_000


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def draw_grams(rng, rows: int, per_report: int) -> np.ndarray:
    """Bigram ids, Zipf-distributed over the vocabulary, as (rows, per_report)."""
    ranks = rng.zipf(1.1, size=(rows, per_report))
    return (ranks % VOCABULARY).astype(np.uint32)


def sketches_of(grams: np.ndarray) -> np.ndarray:
    """Each row's bottom-k sketch, padded with the empty value."""
    hashes = similarity._mix(grams * np.uint32(2654435761))
    hashes.sort(axis=1)
    repeated = np.zeros(hashes.shape, bool)
    repeated[:, 1:] = hashes[:, 1:] == hashes[:, :-1]
    hashes[repeated] = similarity._EMPTY
    hashes.sort(axis=1)
    return hashes[:, :SKETCH_SIZE]


def fill(db, n: int, per_report: int, rng) -> tuple:
    """The feed's rows, by COPY; (some report ids, their bigrams) to rewrite later."""
    ids = [str(uuid.UUID(int=rng.integers(0, 2**63) << 64 | i)) for i in range(n)]
    kept_ids, kept_grams = [], []
    raw = db.engine.raw_connection()
    try:
        for start in range(0, n, 50_000):
            grams = draw_grams(rng, min(50_000, n - start), per_report)
            sketches = sketches_of(grams)
            lines = io.StringIO()
            for offset, row in enumerate(sketches):
                values = row[row != similarity._EMPTY]
                lines.write(f"{ids[start + offset]}\t\\\\x"
                            f"{similarity.sketch_to_bytes(values).hex()}\n")
            lines.seek(0)
            raw.cursor().copy_expert("COPY similarity_docs (report_id, sketch) FROM STDIN",
                                     lines)
            kept_ids.extend(ids[start:start + 20])
            kept_grams.append(grams[:20])
        raw.commit()
    finally:
        raw.close()
    return kept_ids, np.concatenate(kept_grams)


def rewritten(rng, grams: np.ndarray) -> np.ndarray:
    keep = rng.random(len(grams)) < 0.7
    fresh = draw_grams(rng, 1, len(grams))[0]
    return np.where(keep, grams, fresh)


def pct(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def main() -> int:
    n = int(os.environ.get("BENCH_ON_FILE", "1000000"))
    new = int(os.environ.get("BENCH_NEW", "300"))
    per_report = int(os.environ.get("BENCH_GRAMS", "500"))
    rng = np.random.default_rng(7)
    with scratch_database() as url:
        upgrade(migrations_dir("review"), url)
        db = Database(url, metadata)
        t0 = time.perf_counter()
        sources, source_grams = fill(db, n, per_report, rng)
        filled = time.perf_counter() - t0

        before = rss_mb()
        index = SimilarityIndex()
        t0 = time.perf_counter()
        handlers.catch_up(db, index)
        load = time.perf_counter() - t0
        after = rss_mb()

        query, found = [], 0
        for _ in range(new):
            pick = int(rng.integers(len(sources)))
            values = sketches_of(rewritten(rng, source_grams[pick])[None, :])[0]
            values = values[values != similarity._EMPTY]
            t0 = time.perf_counter()
            hints = index.most_similar(values)
            query.append(time.perf_counter() - t0)
            found += bool(hints) and hints[0][0] == sources[pick]

        # As review does it for a submission: the case, then its hints in the same
        # transaction (catch up, sketch the text, query, keep the rows).
        full = []
        now = datetime.now(timezone.utc)
        for number in range(50):
            report = {"id": str(uuid.uuid4()), "title": f"关于农村饮水安全的建议（{number}）",
                      "situation": "部分山村仍靠山泉水和浅井取水，旱季断水。" * 8,
                      "analysis": "管网老化，管护经费不足。" * 6, "suggestions": "纳入县级财政预算。" * 4}
            with db.unit_of_work() as uow:
                uow.memo["rows to add"] = handlers.consumers.RowsToAdd()
                uow.execute(insert(cases).values(
                    report_id=report["id"], author_id="p", co_author_ids=[], unit_id=None,
                    title=report["title"], situation=report["situation"],
                    analysis=report["analysis"], suggestions=report["suggestions"],
                    category="rural", consent_to_publish=True, status="submitted",
                    submitted_at=now, outcomes=[], version=1, updated_at=now))
                t0 = time.perf_counter()
                handlers.consumers._note_similar(ReviewRepository(uow), index, report,
                                                 pause=lambda: None, first_time=True)
                uow.memo["rows to add"].insert(uow, index)
                full.append(time.perf_counter() - t0)
                uow.commit()
        db.dispose()

    ms = lambda v: v * 1000
    print(f"\nSimilarity hints at {n:,} reports ({per_report} bigrams each; PostgreSQL; "
          f"feed filled in {filled:.0f} s)")
    print(f"{'ready at start (load + freeze)':<36} {load:7.1f} s     "
          f"({load / 30:.2f}x of 30 s)")
    print(f"{'the index holds':<36} {index.nbytes() / 2**20:7.0f} MB    "
          f"({index.nbytes() / 2**20 / 500:.2f}x of 500 MB)")
    print(f"{'resident memory, before -> after':<36} {before:7.0f} -> {after:.0f} MB")
    print(f"{'a query':<36} p50 {ms(pct(query, 50)):6.2f} ms   p99 {ms(pct(query, 99)):6.2f} ms"
          f"   ({ms(pct(query, 99)) / 20:.2f}x of 20 ms)")
    print(f"{'hints for a submission (+ DB)':<36} p50 {ms(pct(full, 50)):6.2f} ms   "
          f"p99 {ms(pct(full, 99)):6.2f} ms   mean {ms(statistics.mean(full)):.2f} ms")
    print(f"{'rewritten report found first':<36} {found}/{new} ({found / new:.0%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
