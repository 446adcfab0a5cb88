"""``python -m services.scoring.rebuild``: recompute every score line from the stored
report records and show that the totals come out the same.

Exits 1 when they differ (the lines had drifted from what the records and rules give;
after a rebuild they no longer do), 0 when they match.
"""
import json
import sys
import time

from minyi_common import config
from minyi_common.db import Database

from . import handlers
from .adapters.orm import metadata


def main() -> int:
    settings = config.load("scoring")
    db = Database(settings.db_url, metadata)
    before = handlers.totals(db)
    started = time.perf_counter()
    reports = handlers.rebuild(db, settings.level)
    elapsed = time.perf_counter() - started
    after = handlers.totals(db)
    db.dispose()
    print(json.dumps({"reports": reports, "seconds": round(elapsed, 2), "before": before,
                      "after": after, "equal": before == after}, ensure_ascii=False, indent=2))
    return 0 if before == after else 1


if __name__ == "__main__":
    sys.exit(main())
