"""`make bench`: what the stack costs before any work is done.

A submit is one HTTP request to the gateway and one nameko RPC to intake, before anything is
validated or stored and before review, scoring and notify each consume the event. This
measures both bare, on a system started like `make run` (SQLite): ``GET /healthz`` (the
gateway's HTTP alone) and ``intake.ping`` (an RPC that does nothing) from BENCH_CLIENTS
green clients, with the CPU each part spent per call (bench/cpu.py), against what the cores
allow per report at the burst's goal. Environment: BENCH_CALLS (default 3000), BENCH_CLIENTS.
"""
import eventlet

eventlet.monkey_patch()  # nameko's standalone proxies are green; so are the HTTP clients

import os  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import requests  # noqa: E402
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402

from bench.cpu import CpuMeter, allowed_ms_per_report, per_report_line  # noqa: E402
from bench.submit_throughput import GOAL_RATE  # noqa: E402
from tests.system import running_system  # noqa: E402


def measured(meter, clients: int, calls_each: int, call) -> tuple[dict, float]:
    """Seconds of CPU per part and calls/s for ``call(client)`` from every client at once."""
    pool = eventlet.GreenPool(clients)

    def client(index, times):
        for _ in range(times):
            call(index)
    list(pool.starmap(client, [(i, 5) for i in range(clients)]))  # connections made
    before, started = meter.snapshot(), time.perf_counter()
    list(pool.starmap(client, [(i, calls_each) for i in range(clients)]))
    elapsed = time.perf_counter() - started
    return meter.spent(before, meter.snapshot()), clients * calls_each / elapsed


def main() -> int:
    calls = int(os.environ.get("BENCH_CALLS", "3000"))
    clients = int(os.environ.get("BENCH_CLIENTS", "20"))
    each = max(1, calls // clients)
    amqp = os.environ.get("AMQP_URI", "amqp://guest:guest@localhost:5672/")
    with running_system(amqp, tempfile.mkdtemp(prefix="minyi-bench-"),
                        {"MINYI_LOG_LEVEL": "WARNING"}) as system:
        meter = CpuMeter(system.process.pid)
        sessions = [requests.Session() for _ in range(clients)]

        def healthz(index):
            assert sessions[index].get(system.base + "/healthz", timeout=30).status_code == 200
        http, http_rate = measured(meter, clients, each, healthz)

        config = {"AMQP_URI": system.amqp_uri, "rpc_exchange": f"{system.namespace}.rpc"}
        proxies = [ClusterRpcProxy(config) for _ in range(clients)]
        rpcs = [proxy.start() for proxy in proxies]  # one each: a proxy is not shared
        try:
            rpc, rpc_rate = measured(meter, clients, each, lambda i: rpcs[i].intake.ping())
        finally:
            for proxy in proxies:
                proxy.stop()

    done = clients * each
    print(f"\nMinyi's stack before any work ({done} calls from {clients} clients; ms of CPU "
          "per call; 'bench client' is the caller)")
    print(f"{'GET /healthz':<34} {http_rate:7.1f} requests/s")
    print(per_report_line(http, done, GOAL_RATE, "CPU per request (ms)"))
    print(f"{'intake.ping (a bare nameko RPC)':<34} {rpc_rate:7.1f} calls/s")
    print(per_report_line(rpc, done, GOAL_RATE, "CPU per call (ms)"))
    # The gateway is the caller of a submit's RPC: the standalone proxy stands in for it.
    bare = (sum(http.values()) - http.get("bench client", 0.0) + sum(rpc.values())) / done
    print(f"{'a submit before any work':<34} {bare * 1000:.2f} ms of CPU (the gateway's HTTP, "
          f"one RPC); then it is validated, stored, relayed, and consumed three times; "
          f"{os.cpu_count()} cores allow {allowed_ms_per_report(GOAL_RATE):.2f} ms "
          f"per report at {GOAL_RATE}/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
