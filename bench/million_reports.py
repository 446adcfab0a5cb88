"""A province's archive on PostgreSQL: the report list and search at 1,000,000 reports.

Fills a scratch intake database with 1,000 units, 100,000 people and BENCH_REPORTS
(1,000,000) reports over ten years (title and text from a pool of realistic sentences,
each title with a number of its own), then times intake's list as an editor opens it:
unfiltered, by status, category, unit and quarter, all four together, a search by a
two-character and by a four-character term, and one report's page. Then review's
cases for the same reports (the newest 2,000 waiting, the rest decided) and the queue
as an editor opens it. p50 and p99 of BENCH_RUNS (30) each, against 150 ms (lists,
pages, the queue) and 300 ms (search). With
BENCH_PLANS=1 it prints each query's plan (EXPLAIN ANALYZE). Searches of three
characters or more are served by the trigram index; two-character terms, which are
most Chinese words, have no trigram and read the table.
Environment: MINYI_TEST_PG_URL (a server where a scratch database may be made).
"""
import hashlib
import os
import random
import sys
import time
import uuid

from sqlalchemy import event, text

from minyi_common.db import Database, make_engine
from minyi_common.migrate import upgrade
from minyi_common.registry import migrations_dir
from bench.scratch import scratch_database
from services.intake import handlers
from services.intake.adapters.orm import metadata
from services.review import handlers as review
from services.review.adapters.orm import metadata as review_metadata

EDITOR = {"id": "editor", "roles": ["editor"], "unit_ids": []}
CATEGORIES = ("rural", "urban", "health", "education", "ecology", "economy", "other")
PHRASES = ("我县部分偏远山村仍依靠山泉水和浅井取水", "旱季断水、雨季浑浊的情况时有发生",
           "城区老旧小区停车位严重不足", "夜间占道停车影响消防通道畅通", "基层卫生院全科医生缺口较大",
           "乡村学校寄宿条件有待改善", "农村生活污水收集处理设施覆盖率偏低", "小微企业融资难、融资贵问题突出",
           "养老服务机构护理人员流动性大", "河道垃圾清理责任不清", "一是供水管网老化严重",
           "二是管护经费不足", "三是村级管水员缺少培训", "建议将农村供水管护经费纳入县级财政预算",
           "建立村级管水员制度", "每季度抽检水质并公开结果", "推动错时共享停车", "完善家庭医生签约服务",
           "加大对寄宿制学校的投入", "探索政府购买护理服务", "明确河长制下的日常保洁责任",
           "设立中小企业应急转贷资金", "推进智慧停车平台建设", "提高乡村医生待遇")
SEARCH_2, SEARCH_4 = "停车", "护理人员"
RARE_PLACE = "鹿鸣乡"  # a township named in one report in a thousand


def sentence_pool(rng, size=4000, parts=18) -> list:
    return ["，".join(rng.choice(PHRASES) for _ in range(parts)) + "。" for _ in range(size)]


def fill(url: str, n_reports: int, rng) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO units (id, name, kind) SELECT md5('u' || i)::uuid::text, '单位' || i, "
            "'party' FROM generate_series(1, 1000) i"))
        connection.execute(text(
            "INSERT INTO people (id, display_name, roles, unit_ids, active) "
            "SELECT md5('p' || i)::uuid::text, '委员' || i, '[\"member\"]', "
            "json_build_array(md5('u' || (1 + i % 1000))::uuid::text), true "
            "FROM generate_series(1, 100000) i"))
        connection.execute(text("CREATE TEMP TABLE pool (n int PRIMARY KEY, body text)"))
        connection.execute(text("INSERT INTO pool VALUES (:n, :body)"),
                           [{"n": n, "body": body} for n, body in enumerate(sentence_pool(rng))])
        connection.execute(text(f"""
            INSERT INTO reports (id, author_id, unit_id, title, situation, analysis, suggestions,
                category, consent_to_publish, urgent, status, outcomes, created_at, updated_at,
                submitted_at, status_at)
            SELECT md5('r' || i)::uuid::text, md5('p' || (1 + i % 100000))::uuid::text,
                md5('u' || (1 + (i % 100000) % 1000))::uuid::text,
                left('关于' || left(s.body, 12) || '的建议（第' || i || '号）', 60),
                CASE WHEN i % 1000 = 0 THEN '{RARE_PLACE}' ELSE '' END || s.body, a.body, g.body,
                (ARRAY{list(CATEGORIES)!r})[1 + i % {len(CATEGORIES)}],
                true, i % 50 = 0,
                (ARRAY['submitted','resubmitted','adopted','adopted','retained','rejected',
                       'returned','draft','adopted','retained'])[1 + (i / 7) % 10],
                '[]', at, at, at, at
            FROM generate_series(1, {n_reports}) i
            CROSS JOIN LATERAL (SELECT now() - make_interval(secs => i * 315.0) AS at) t
            JOIN pool s ON s.n = i % 4000
            JOIN pool a ON a.n = (i * 7) % 4000
            JOIN pool g ON g.n = (i * 13) % 4000
        """))
    raw = engine.raw_connection()
    raw.set_isolation_level(0)
    raw.cursor().execute("VACUUM ANALYZE")
    raw.close()
    engine.dispose()


def fill_review(url: str, n_reports: int, waiting: int) -> None:
    """Review's cases for the same reports: the newest ``waiting`` still in the queue,
    every older one decided long ago (as in an office that keeps up)."""
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TEMP TABLE pool (n int PRIMARY KEY, body text)"))
        connection.execute(text("INSERT INTO pool VALUES (:n, :body)"),
                           [{"n": n, "body": body}
                            for n, body in enumerate(sentence_pool(random.Random(6), 400))])
        connection.execute(text(f"""
            INSERT INTO cases (report_id, author_id, co_author_ids, unit_id, title, situation,
                analysis, suggestions, category, consent_to_publish, status, submitted_at,
                outcomes, version, updated_at, urgent)
            SELECT md5('r' || i)::uuid::text, md5('p' || (1 + i % 100000))::uuid::text, '[]',
                md5('u' || (1 + (i % 100000) % 1000))::uuid::text,
                '关于第' || i || '号事项的建议', s.body, s.body, s.body,
                (ARRAY{list(CATEGORIES)!r})[1 + i % {len(CATEGORIES)}], true,
                CASE WHEN i <= {waiting} THEN (ARRAY['submitted','resubmitted'])[1 + i % 2]
                     ELSE (ARRAY['adopted','retained','rejected','returned'])[1 + i % 4] END,
                at, '[]', 1, at, i % 50 = 0
            FROM generate_series(1, {n_reports}) i
            CROSS JOIN LATERAL (SELECT now() - make_interval(secs => i * 315.0) AS at) t
            JOIN pool s ON s.n = i % 400
        """))
    raw = engine.raw_connection()
    raw.set_isolation_level(0)
    raw.cursor().execute("VACUUM ANALYZE")
    raw.close()
    engine.dispose()


def timed(runs: int, call) -> tuple:
    """(p50, p99) in ms of ``runs`` calls."""
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        timings.append(time.perf_counter() - started)
    return pct(timings, 50) * 1000, pct(timings, 99) * 1000


def uid(seed: str) -> str:
    """The id the load gave ``seed`` (md5(seed)::uuid in PostgreSQL)."""
    return str(uuid.UUID(hashlib.md5(seed.encode()).hexdigest()))


def pct(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def main() -> int:
    n_reports = int(os.environ.get("BENCH_REPORTS", "1000000"))
    runs = int(os.environ.get("BENCH_RUNS", "30"))
    plans = os.environ.get("BENCH_PLANS") == "1"
    with scratch_database() as url:
        upgrade(migrations_dir("intake"), url)
        t0 = time.perf_counter()
        # The search index is built after the load, as a restore builds it: kept up row
        # by row it made the load five minutes long.
        searched = make_engine(url)
        with searched.begin() as connection:
            definition = connection.execute(text(
                "SELECT pg_get_indexdef('ix_reports_searched'::regclass)")).scalar()
            connection.execute(text("DROP INDEX ix_reports_searched"))
        fill(url, n_reports, random.Random(5))
        print(f"\nThe report list at {n_reports:,} reports and 100,000 people (PostgreSQL; "
              f"loaded in {time.perf_counter() - t0:.0f} s)")
        t0 = time.perf_counter()
        with searched.begin() as connection:
            connection.execute(text("SET maintenance_work_mem = '512MB'"))
            connection.execute(text(definition))
            connection.execute(text("ANALYZE reports"))
            size = connection.execute(text(
                "SELECT pg_size_pretty(pg_relation_size('ix_reports_searched'))")).scalar()
        searched.dispose()
        print(f"the search's trigram index (ix_reports_searched): {size}, built in "
              f"{time.perf_counter() - t0:.0f} s")
        db = Database(url, metadata)
        statements = []
        event.listen(db.engine, "before_cursor_execute",
                     lambda conn, cursor, sql, params, *_: statements.append((sql, params)))
        unit = uid("u17")
        cases = (("list, newest first", {}, 150),
                 ("list by status", {"status": "submitted"}, 150),
                 ("list by category", {"category": "health"}, 150),
                 ("list by unit", {"unit_id": unit}, 150),
                 ("list by quarter", {"period": "2025-Q2"}, 150),
                 ("list by all four", {"status": "adopted", "category": "rural",
                                       "unit_id": unit, "period": "2024"}, 150),
                 ("list, page 500", {"page": 500}, 150),
                 (f"search, 2 characters ({SEARCH_2})", {"q": SEARCH_2}, 300),
                 (f"search, 4 characters ({SEARCH_4})", {"q": SEARCH_4}, 300),
                 ("search, a title's number", {"q": f"第{n_reports // 3}号"}, 300),
                 (f"search, rare, 3 characters ({RARE_PLACE})", {"q": RARE_PLACE}, 300),
                 (f"search, rare, 2 characters ({RARE_PLACE[:2]})", {"q": RARE_PLACE[:2]}, 300),
                 ("search, no match (鳄鱼)", {"q": "鳄鱼"}, 300),
                 ("search, no match (不存在的词)", {"q": "不存在的词"}, 300))
        for label, filters, target in cases:
            timings = []
            for _ in range(runs):
                statements.clear()
                started = time.perf_counter()
                answer = handlers.list_reports(db, EDITOR, {"page_size": 20, **filters})
                timings.append(time.perf_counter() - started)
            p99 = pct(timings, 99) * 1000
            print(f"{label:<34} p50 {pct(timings, 50) * 1000:7.1f} ms  p99 {p99:7.1f} ms  "
                  f"({p99 / target:.2f}x of {target} ms)  total {answer['total']:,}"
                  f"{'' if answer['total_exact'] else '+'}")
            if plans:
                with db.engine.connect() as connection:
                    for sql, params in statements[:2]:
                        cursor = connection.connection.cursor()
                        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                        print("    " + "\n    ".join(r[0] for r in cursor.fetchall()[:12]))
        report_id = uid(f"r{n_reports // 2}")
        p50, p99 = timed(runs, lambda: handlers.get_report(db, EDITOR, report_id))
        print(f"{'a report page':<34} p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  "
              f"({p99 / 150:.2f}x of 150 ms)")
        with scratch_database() as review_url:
            upgrade(migrations_dir("review"), review_url)
            t0 = time.perf_counter()
            fill_review(review_url, n_reports, waiting=2000)
            print(f"\nReview's queue at {n_reports:,} cases, 2,000 waiting "
                  f"(loaded in {time.perf_counter() - t0:.0f} s)")
            review_db = Database(review_url, review_metadata)
            for label, filters in (("the queue", {}), ("the queue, urgent", {"urgent": "1"}),
                                   ("the queue by category", {"category": "health"}),
                                   ("the queue, page 50", {"page": 50}),
                                   ("a case", None)):
                if filters is None:
                    call = lambda: review.get_case(review_db, EDITOR, uid(f"r{n_reports // 2}"))
                else:
                    call = lambda f=filters: review.queue(review_db, EDITOR,
                                                          {"page_size": 20, **f})
                p50, p99 = timed(runs, call)
                print(f"{label:<34} p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  "
                      f"({p99 / 150:.2f}x of 150 ms)")
            review_db.dispose()
        db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
