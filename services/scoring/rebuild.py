"""``python -m services.scoring.rebuild``: recompute every score line from the stored
report records and show that the totals come out the same.

Exits 1 when they differ (the lines had drifted from what the records and rules give;
after a rebuild they no longer do), 0 when they match.

``--check`` changes nothing: it proves the stored lines and quarter totals equal a
recomputation, and exits 1 naming the reports (and subject quarters) that drifted.
"""
import argparse
import json
import sys
import time

from minyi_common import config
from minyi_common.db import Database

from . import handlers
from .adapters.orm import metadata


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.scoring.rebuild")
    parser.add_argument("--check", action="store_true",
                        help="compare with a recomputation and change nothing")
    args = parser.parse_args(argv)
    settings = config.load("scoring")
    db = Database(settings.db_url, metadata)
    try:
        if args.check:
            found = handlers.check(db, settings.level)
            print(json.dumps(found, ensure_ascii=False, indent=2))
            return 0 if found["ok"] else 1
        before = handlers.totals(db)
        started = time.perf_counter()
        reports = handlers.rebuild(db, settings.level)
        elapsed = time.perf_counter() - started
        after = handlers.totals(db)
    finally:
        db.dispose()
    print(json.dumps({"reports": reports, "seconds": round(elapsed, 2), "before": before,
                      "after": after, "equal": before == after}, ensure_ascii=False, indent=2))
    return 0 if before == after else 1


if __name__ == "__main__":
    sys.exit(main())
