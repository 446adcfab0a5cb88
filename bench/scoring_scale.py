"""Scoring at county-office scale and beyond, on PostgreSQL.

Loads 100,000 people, 1,000 units and enough adopted reports for about 1,000,000 score
lines, then times a full rebuild (every line recomputed from the records; target under
60 s), standings for the quarter holding every line (target under 200 ms), and that
quarter's bulletin (JSON and XLSX under 2 s; the .docx, which lists every member, under
10 s) and the award list (JSON, XLSX and .docx under 2 s). One report in 200 was also
adopted nationally, so the award list names reports too.
Environment: MINYI_TEST_PG_URL (a server where a scratch database may be made),
BENCH_PEOPLE (100000), BENCH_REPORTS (125000; eight lines each).
"""
import itertools
import json
import os
import random
import statistics
import sys
import time
import uuid
from datetime import date, datetime, timezone

from sqlalchemy import func, select, text

from minyi_common.db import Database
from minyi_common.migrate import upgrade
from minyi_common.registry import migrations_dir
from bench.scratch import copy_rows, scratch_database
from services.scoring import handlers
from services.scoring.handlers import bulletins, standings
from services.scoring.adapters.orm import metadata, score_lines

EDITOR = {"id": "editor", "roles": ["editor"], "unit_ids": []}


class Office:
    """The settings a file is made with: who signs it, and at which level."""
    level = "county"
    office_name = "某某县政协办公室"


def main() -> int:
    n_people = int(os.environ.get("BENCH_PEOPLE", "100000"))
    n_reports = int(os.environ.get("BENCH_REPORTS", "125000"))
    with scratch_database() as url:
        upgrade(migrations_dir("scoring"), url)
        db = Database(url, metadata)
        handlers.ensure_default_rules(db)
        rng = random.Random(11)
        people = [str(uuid.uuid4()) for _ in range(n_people)]
        unit_ids = [str(uuid.uuid4()) for _ in range(1000)]
        t0 = time.perf_counter()
        copy_rows(db.engine, "units", ("id", "name", "kind"),
                  [(u, f"单位{i}", "party") for i, u in enumerate(unit_ids)])
        copy_rows(db.engine, "people", ("id", "display_name", "roles", "unit_ids", "active",
                                        "is_member", "is_officer"),
                  [(p, f"委员{i}", '["member"]', json.dumps([rng.choice(unit_ids)]), "t",
                    "t", "f" if i % 10 else "t") for i, p in enumerate(people)])
        now = datetime.now(timezone.utc).isoformat()
        records = []
        for n in range(n_reports):
            day = date(2026, 7, 1 + rng.randrange(30)).isoformat()
            outcomes = {} if n % 200 else {"e": {"kind": "upstream_adopted", "level": "national",
                                                 "mode": "single", "date": "2026-09-01"}}
            records.append((str(uuid.uuid4()), rng.choice(people),
                            json.dumps([rng.choice(people)]), rng.choice(unit_ids),
                            f"关于某事的建议（第{n}号）", "2026-07-01", "adopted", now,
                            json.dumps({"kind": "adopted", "mode": "single", "on": day}),
                            json.dumps(outcomes), "t"))
        copy_rows(db.engine, "report_records",
                  ("report_id", "author_id", "co_author_ids", "unit_id", "title", "submitted_on",
                   "status", "status_at", "decision", "outcomes", "consent_to_publish"), records)
        load = time.perf_counter() - t0
        with db.engine.connect() as connection:
            connection.execute(text("ANALYZE"))

        t0 = time.perf_counter()
        handlers.rebuild(db, "county", batch=5000)
        rebuild = time.perf_counter() - t0
        with db.engine.connect() as connection:
            lines = connection.execute(select(func.count()).select_from(score_lines)).scalar_one()
        raw = db.engine.raw_connection()
        raw.set_isolation_level(0)
        raw.cursor().execute("VACUUM ANALYZE")
        raw.close()

        timings = {}
        views = (("standings, people, page 1", {"kind": "person"}),
                 ("standings, people, page 2000", {"kind": "person", "page": 2000}),
                 ("standings, units", {"kind": "unit"}))
        # The quarter, and the whole year.
        for (label, filters), period in itertools.product(views, ("2026-Q3", "2026")):
            runs = []
            for _ in range(7):
                t1 = time.perf_counter()
                standings.standings(db, EDITOR, {"period": period, **filters})
                runs.append(time.perf_counter() - t1)
            timings[f"{label}, {period}"] = statistics.median(runs)
        documents = {}
        for label, call, target in (
                ("bulletin, JSON", lambda: bulletins.bulletin(db, EDITOR, "2026-Q3"), 2),
                ("bulletin, XLSX", lambda: bulletins.bulletin_file(
                    db, Office, EDITOR, "2026-Q3", "xlsx"), 2),
                ("bulletin, .docx", lambda: bulletins.bulletin_file(
                    db, Office, EDITOR, "2026-Q3", "docx"), 10),
                ("award list, JSON", lambda: bulletins.awards(db, EDITOR, {"period": "2026"}), 2),
                ("award list, XLSX", lambda: bulletins.awards_file(
                    db, Office, EDITOR, {"period": "2026"}, "xlsx"), 2),
                ("award list, .docx", lambda: bulletins.awards_file(
                    db, Office, EDITOR, {"period": "2026"}, "docx"), 2)):
            runs = []
            for _ in range(3):
                t1 = time.perf_counter()
                answer = call()
                runs.append(time.perf_counter() - t1)
            size = len(answer.get("content_base64", "")) * 3 // 4
            documents[label] = (statistics.median(runs), target, size)
        db.dispose()

    print(f"\nScoring at scale on PostgreSQL: {n_people:,} people, {n_reports:,} reports, "
          f"{lines:,} score lines in one quarter (load {load:.1f} s)")
    print(f"{'full rebuild':<32} {rebuild:8.1f} s    ({lines / rebuild:,.0f} lines/s; "
          f"target 60 s: {rebuild / 60:.2f}x)")
    for label, seconds in timings.items():
        print(f"{label:<40} {seconds * 1000:8.1f} ms   (target 200 ms: {seconds / 0.2:.2f}x)")
    for label, (seconds, target, size) in documents.items():
        made = f", {size / 1e6:.1f} MB" if size else ""
        print(f"{label:<40} {seconds:8.2f} s    (target {target} s: {seconds / target:.2f}x{made})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
