"""`make bench`: how the gateway answers everyone else while logins are flooded (docs/security.md).

A system started like `make run` behind one trusted proxy (MINYI_TRUSTED_PROXIES=1), so
the bench can speak from many client addresses through X-Forwarded-For. First `GET /healthz`
alone (the floor), on SQLite and on PostgreSQL (BENCH_BACKENDS), then the same while FLOOD attackers, each from an address of its own,
try made-up usernames and wrong passwords against `admin` as fast as they are answered;
meanwhile a known user logs in with the right password from yet another address. Prints
the health check's latency during the flood against the floor, how the flood was answered
(429 versus 401) and the known user's logins. Environment: BENCH_FLOOD (attackers, 20),
BENCH_FLOOD_SECONDS (10).
"""
import os
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter

import requests

from bench.submit_throughput import line, pct
from minyi_common.testing import DEFAULT_PG
from tests.system import running_system


def health_latencies(base: str, seconds: float) -> list:
    http, found = requests.Session(), []
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        started = time.perf_counter()
        assert http.get(base + "/healthz", timeout=30).status_code == 200
        found.append(time.perf_counter() - started)
        time.sleep(0.01)
    return found


def main() -> int:
    failed = 0
    for backend in os.environ.get("BENCH_BACKENDS", "sqlite,postgresql").split(","):
        failed += flood(backend)
    return 1 if failed else 0


def flood(backend: str) -> int:
    attackers = int(os.environ.get("BENCH_FLOOD", "20"))
    seconds = float(os.environ.get("BENCH_FLOOD_SECONDS", "10"))
    amqp = os.environ.get("AMQP_URI", "amqp://guest:guest@localhost:5672/")
    with running_system(amqp, tempfile.mkdtemp(prefix="minyi-bench-"),
                        {"MINYI_LOG_LEVEL": "WARNING", "MINYI_TRUSTED_PROXIES": "1"},
                        backend=backend,
                        pg_server_url=os.environ.get("MINYI_TEST_PG_URL", DEFAULT_PG)) as system:
        admin = system.admin()
        user = f"known{uuid.uuid4().hex[:6]}"
        assert admin.post("/users", {"username": user, "password": "password-123",
                                     "display_name": "熟人", "roles": ["member"]}).status_code == 201
        login = system.base + "/api/v1/auth/login"
        floor = health_latencies(system.base, 3)

        stop = threading.Event()
        answers = Counter()

        def attack(n):
            http = requests.Session()
            while not stop.is_set():
                name = "admin" if n % 2 else f"nobody{uuid.uuid4().hex[:8]}"
                answer = http.post(login, json={"username": name, "password": "guess-123"},
                                   headers={"X-Forwarded-For": f"203.0.113.{n + 1}",
                                            "Accept-Language": "en"}, timeout=60)
                answers[answer.status_code] += 1

        known = []

        def known_user():
            http = requests.Session()
            while not stop.is_set():
                started = time.perf_counter()
                answer = http.post(login, json={"username": user, "password": "password-123"},
                                   headers={"X-Forwarded-For": "198.51.100.7"}, timeout=60)
                known.append((answer.status_code, time.perf_counter() - started))
                time.sleep(0.5)

        threads = [threading.Thread(target=attack, args=(n,)) for n in range(attackers)]
        threads.append(threading.Thread(target=known_user))
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        during = health_latencies(system.base, seconds)
        stop.set()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        # An admin's own login still works once the flood is over.
        assert system.admin().token

    total = sum(answers.values())
    print(f"\nMinyi login flood ({attackers} attackers, each from its own address, "
          f"{seconds:g} s; {backend})")
    print(line("GET /healthz alone", floor))
    print(line("GET /healthz during the flood", during))
    print(f"{'healthz p99 during / alone':<34} {pct(during, 99) / pct(floor, 99):7.1f}x")
    print(f"{'flood attempts answered':<34} {total / elapsed:7.1f} /s  "
          f"({', '.join(f'{code}: {n}' for code, n in sorted(answers.items()))})")
    ok = [seconds for code, seconds in known if code == 200]
    print(f"{'known user logins during flood':<34} {len(ok)} of {len(known)} succeeded")
    if ok:
        print(line("known user login latency", ok))
    return 0 if ok and len(ok) == len(known) else 1


if __name__ == "__main__":
    sys.exit(main())
