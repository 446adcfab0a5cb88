"""`make bench`: the quarter-end burst through the gateway of a system started like `make
run`, on SQLite and on PostgreSQL.

For each database: the transport floor (``GET /healthz`` from the same clients, same run),
then the burst (BENCH_REPORTS reports from BENCH_CLIENTS concurrent clients, each a member
of their own) with its rate, the ratio to the floor, p50/p95/p99, and how long after the
last 201 review's queue held every report; then, for a sample, the time from submission
until the report is in review's queue and until its score line is visible after an editor
adopts it at once; and the CPU each part of the system spent per report during the
burst (bench/cpu.py), against what the machine's cores allow at the goal's rate.
Environment: BENCH_REPORTS (default 1000), BENCH_CLIENTS (20),
BENCH_SAMPLE (20), BENCH_BACKENDS (``sqlite,postgresql``), MINYI_TEST_PG_URL.
"""
import os
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests

from bench.cpu import CpuMeter, per_report_line
from minyi_common.testing import DEFAULT_PG
from tests.system import Api, running_system

GOAL_RATE = 300  # reports/s, with p99 <= 150 ms (the quarter-end goal)
REPORT = {
    "title": "关于完善城区停车设施的建议",
    "situation": "老城区停车位缺口大，占道停车普遍，早晚高峰拥堵严重，消防通道时常被占用。",
    "analysis": "一是规划滞后，老旧小区没有配建车位；二是公共停车场收费与路边停车倒挂；三是执法力量不足。",
    "suggestions": "一是利用边角地建设立体停车库；二是推行错时共享停车；三是理顺收费价格，加强智慧停车引导。",
    "category": "urban",
}


def pct(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def line(name, values):
    ms = [v * 1000 for v in values]
    return (f"{name:<34} p50 {pct(ms, 50):7.1f} ms   p95 {pct(ms, 95):7.1f} ms   "
            f"p99 {pct(ms, 99):7.1f} ms   max {max(ms):7.1f} ms")


def floor(base: str, clients: int, count: int) -> float:
    """GET /healthz per second from ``clients`` threads: the HTTP transport alone."""
    sessions = [requests.Session() for _ in range(clients)]

    def get(i):
        assert sessions[i % clients].get(base + "/healthz", timeout=30).status_code == 200
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(get, range(clients)))  # connections made
        started = time.perf_counter()
        list(pool.map(get, range(count)))
    return count / (time.perf_counter() - started)


def burst(system, backend: str, n: int, clients: int, sample: int) -> None:
    admin = system.admin()
    suffix = uuid.uuid4().hex[:6]
    authors = []
    for i in range(clients):
        name = f"author{i}x{suffix}"
        assert admin.post("/users", {"username": name, "password": "password-123",
                                     "display_name": f"委员{i}", "roles": ["member"]}
                          ).status_code == 201
        authors.append(Api(system.base).login(name, "password-123"))
    assert admin.post("/users", {"username": f"editor{suffix}", "password": "password-123",
                                 "display_name": "编辑", "roles": ["editor"]}).status_code == 201
    editor = Api(system.base).login(f"editor{suffix}", "password-123")

    def queued() -> int:
        return editor.get("/review/queue?page_size=1").json()["total"]

    def submit(i):
        client = authors[i % clients]
        started = time.perf_counter()
        answer = client.post("/reports", dict(REPORT, title=f"{REPORT['title']}{i}"),
                             headers={"Idempotency-Key": f"bench-{suffix}-{i}"})
        assert answer.status_code == 201, answer.text
        return time.perf_counter() - started

    start = queued()
    for i in range(clients):  # warm up: each client's connection, each worker's
        submit(-1 - i)
    while queued() < start + clients:  # the warm-up's reports are not the burst's
        time.sleep(0.01)
    before = queued()
    transport = floor(system.base, clients, max(1000, n))
    meter = CpuMeter(system.process.pid)
    cpu_before = meter.snapshot()
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        latencies = list(pool.map(submit, range(n)))
    last = time.perf_counter()
    elapsed = last - started
    while queued() < before + n and time.perf_counter() - last < 60:
        time.sleep(0.05)  # each look is a request too: few, so that they hardly count below
    complete = time.perf_counter() - last
    # Until every report is in review's queue: the consumers' share of the work counts too.
    cpu = meter.spent(cpu_before, meter.snapshot())
    rate = n / elapsed

    author, author_id = authors[0], authors[0].get("/me").json()["id"]
    queue_lat, score_lat = [], []
    period = f"{time.strftime('%Y')}-Q{(int(time.strftime('%m')) - 1) // 3 + 1}"
    for i in range(sample):
        t0 = time.perf_counter()
        report = author.post("/reports", dict(REPORT, title=f"样本{i}{REPORT['title']}")).json()
        while not any(item["id"] == report["id"] for item in editor.get(
                "/review/queue?q=" + f"样本{i}").json()["items"]):
            time.sleep(0.005)
        queue_lat.append(time.perf_counter() - t0)
        assert editor.post(f"/review/{report['id']}/adopt", {}).status_code == 200
        while not any(l["report_id"] == report["id"] for l in author.get(
                f"/scores/people/{author_id}?period={period}").json()["lines"]):
            time.sleep(0.005)
        score_lat.append(time.perf_counter() - t0)

    print(f"\nMinyi submit burst on {backend} ({n} reports, {clients} clients, one process "
          f"per service)")
    print(f"{'transport floor (GET /healthz)':<34} {transport:7.1f} requests/s")
    print(f"{'throughput':<34} {rate:7.1f} reports/s  ({elapsed:.2f} s; "
          f"{rate / transport:.2f} of the floor; goal {GOAL_RATE}/s)")
    print(line("submit latency", latencies) + "   (goal p99 150 ms)")
    print(f"{'review queue complete after last':<34} {complete * 1000:7.1f} ms  "
          f"({queued() - before} of {n}; goal 1 s)")
    print(per_report_line(cpu, n, GOAL_RATE))
    if sample:
        print(line("submit -> in review queue", queue_lat))
        print(line("submit -> adopted -> score line", score_lat))


def main() -> int:
    n = int(os.environ.get("BENCH_REPORTS", "1000"))
    clients = int(os.environ.get("BENCH_CLIENTS", "20"))
    sample = int(os.environ.get("BENCH_SAMPLE", "20"))
    backends = os.environ.get("BENCH_BACKENDS", "sqlite,postgresql").split(",")
    amqp = os.environ.get("AMQP_URI", "amqp://guest:guest@localhost:5672/")
    pg = os.environ.get("MINYI_TEST_PG_URL", DEFAULT_PG)
    for backend in backends:
        with running_system(amqp, tempfile.mkdtemp(prefix="minyi-bench-"),
                            {"MINYI_LOG_LEVEL": "WARNING"}, backend=backend,
                            pg_server_url=pg) as system:
            burst(system, backend, n, clients, sample)
    return 0


if __name__ == "__main__":
    sys.exit(main())
