"""Importing 2,000 past reports (往期信息导入): intake's check (a dry run) and the import
itself, on SQLite and, when it answers, PostgreSQL; then the same rows again (all
unchanged). The spreadsheet reading and the username lookup of the gateway are a small
part and left out. Environment: BENCH_ROWS (2000), BENCH_PG (a PostgreSQL URL whose
database may be dropped and made again; default the local test server).
"""
import os
import sys
import tempfile
import time
import uuid

from sqlalchemy import create_engine, text

from minyi_common import events
from minyi_common.db import Database
from minyi_common.migrate import upgrade
from minyi_common.registry import migrations_dir
from services.intake import backlog, handlers
from services.intake.adapters.orm import metadata

EDITOR = {"id": "editor", "username": "bianji", "roles": ["editor"], "unit_ids": []}
TEXT = {"situation": "我县部分偏远山村仍依靠山泉水和浅井取水，旱季断水、雨季浑浊的情况时有发生。" * 4,
        "analysis": "一是供水管网老化严重；二是管护经费不足；三是村级管水员缺少培训。" * 3,
        "suggestions": "一是将农村供水管护经费纳入县级财政预算；二是建立村级管水员制度。" * 3}


def rows(count: int, authors: list) -> list:
    found = []
    for n in range(count):
        result = ("已采用", "留存", "不予采用", "待审", "综合采用")[n % 5]
        found.append({"row": n + 2, "title": f"关于往期第{n}号事项的建议", "author_id": authors[n % 50],
                      "co_author_ids": [authors[(n + 1) % 50]], "unit_id": None,
                      "category": "乡村振兴", "submitted_on": f"2025-{n % 12 + 1:02d}-{n % 27 + 1:02d}",
                      **TEXT, "result": result, "decided_on": "",
                      "outcomes": "市级上级采用 2025-12-30" if result == "已采用" else ""})
    return found


def run(url: str, count: int) -> None:
    upgrade(migrations_dir("intake"), url)
    db = Database(url, metadata)
    authors = [str(uuid.uuid4()) for _ in range(50)]
    handlers.on_directory_events(db, *[events.parse_event(events.new_event(
        "directory.person_upserted", "admin", person={
            "id": a, "username": f"u{i}", "display_name": f"委员{i}", "roles": ["member"],
            "unit_ids": [], "email": None, "active": True})) for i, a in enumerate(authors)])
    table = rows(count, authors)
    timings = {}
    for step, dry_run in (("dry run", True), ("import", False), ("again", False)):
        started = time.perf_counter()
        answer = backlog.import_reports(db, EDITOR, table, dry_run, [])
        timings[step] = time.perf_counter() - started
        assert not answer["errors"], answer["errors"][:3]
    db.dispose()
    name = url.split(":")[0]
    print(f"{name:>10}: {count} rows  dry run {timings['dry run']:.1f} s  import "
          f"{timings['import']:.1f} s ({count / timings['import']:.0f} rows/s)  "
          f"again (unchanged) {timings['again']:.1f} s")


def main() -> int:
    count = int(os.environ.get("BENCH_ROWS", "2000"))
    with tempfile.TemporaryDirectory() as folder:
        run(f"sqlite:///{folder}/intake.db", count)
    pg = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432/bench_backlog")
    try:
        admin = create_engine(pg.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg2://")
                              + "/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            name = pg.rsplit("/", 1)[1]
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    except Exception as exc:  # no PostgreSQL here: SQLite's figures alone
        print(f"PostgreSQL not measured: {exc}", file=sys.stderr)
        return 0
    run(pg, count)
    return 0


if __name__ == "__main__":
    sys.exit(main())
