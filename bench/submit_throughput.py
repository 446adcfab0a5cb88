"""`make bench`: reports through the gateway of a system started like `make run`.

Prints submit throughput and latency (N reports from C concurrent clients), then, for a
sample, the time from submission until the report is in review's queue and until its
score line is visible after an editor adopts it at once. Environment: BENCH_REPORTS
(default 400), BENCH_CLIENTS (8), BENCH_SAMPLE (40).
"""
import os
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from tests.system import Api, RunningSystem

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


def main() -> int:
    n = int(os.environ.get("BENCH_REPORTS", "400"))
    clients = int(os.environ.get("BENCH_CLIENTS", "8"))
    sample = int(os.environ.get("BENCH_SAMPLE", "40"))
    amqp = os.environ.get("AMQP_URI", "amqp://guest:guest@localhost:5672/")
    system = RunningSystem(amqp, tempfile.mkdtemp(prefix="minyi-bench-"),
                           {"MINYI_LOG_LEVEL": "WARNING"}).start()
    try:
        admin = system.admin()
        suffix = uuid.uuid4().hex[:6]
        for name, roles in (("author", ["member"]), ("editor", ["editor"])):
            admin.post("/users", {"username": f"{name}{suffix}", "password": "password-123",
                                  "display_name": name, "roles": roles})
        author = Api(system.base).login(f"author{suffix}", "password-123")
        editor = Api(system.base).login(f"editor{suffix}", "password-123")
        author_id = author.get("/me").json()["id"]

        def submit(i):
            client = Api(system.base, author.token)
            started = time.perf_counter()
            answer = client.post("/reports", dict(REPORT, title=f"{REPORT['title']}{i}"))
            assert answer.status_code == 201, answer.text
            return time.perf_counter() - started

        submit(-1)  # warm up
        started = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            latencies = list(pool.map(submit, range(n)))
        elapsed = time.perf_counter() - started

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
    finally:
        system.stop()
        system.cleanup_broker()

    print(f"\nMinyi submit benchmark ({n} reports, {clients} clients, SQLite, one process "
          f"per service)")
    print(f"{'throughput':<34} {n / elapsed:7.1f} reports/s  ({elapsed:.2f} s)")
    print(line("submit latency", latencies))
    print(line("submit -> in review queue", queue_lat))
    print(line("submit -> adopted -> score line", score_lat))
    print(f"{'score-line / submit p50 ratio':<34} {pct(score_lat, 50) / pct(latencies, 50):7.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
