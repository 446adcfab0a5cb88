"""Survive faults: a burst of reports from a careful client (an Idempotency-Key each,
the same request again on a 5xx or a dropped connection) while something breaks: the
broker restarts, PostgreSQL restarts, a service is SIGKILLed under `make run`'s launcher,
one of two instances is SIGKILLed. Afterwards every invariant of tests/faults.py holds
and /readyz is ready again within 30 s of the fault's end. The system runs on SQLite and
on PostgreSQL side by side, and each fault hits both at once.

These tests restart the machine's RabbitMQ and PostgreSQL: pytest runs them one after
another like every test; never start another suite alongside.
"""
import os
import signal
import time

import pytest

from minyi_common.testing import DatabaseMaker, SmtpServer, own_vhost

from .browser_run import BROWSER
from .faults import (Burst, WebhookSink, at_once, broken_invariants, postgres, rabbitmqctl,
                     restart_broker, restart_postgres, seconds_until_ready, under_fault)
from .people import Person, make_people
from .system import SERVICES, Api, RunningSystem, ServiceProcess, eventually

RECOVERY_LIMIT = 30.0
# Reports per burst; the issue's own figure is 300 (MINYI_FAULT_BURST=300 for the
# five-runs-in-a-row check), make test uses fewer to stay within its time.
BURST = int(os.environ.get("MINYI_FAULT_BURST", "120"))


class FaultySystem:
    """The whole system started like `make run` (on SQLite or PostgreSQL), with SMTP
    configured, a webhook subscribed to report_submitted, six members and two editors
    who want email."""

    def __init__(self, amqp_uri, databases, backend, tmp_path):
        self.smtp = SmtpServer(tmp_path).start()
        self.sink = WebhookSink()
        # Sends take milliseconds here: a 3 s deadline makes a killed sender's lease 13 s.
        env = {"MINYI_RPC_TIMEOUT": "10", "MINYI_DELIVERY_DEADLINE": "3"}
        urls = {s: databases.url(s) for s in SERVICES} if backend == "postgresql" else None
        self.system = RunningSystem(amqp_uri, str(tmp_path), env, urls,
                                    self.smtp).start(timeout=90)
        self.urls = self.system.urls

    def populate(self):
        self.admin = self.system.admin()
        roles = {f"member{n}": ["member"] for n in range(6)}
        _, people = make_people(self.system, **roles)
        self.authors = list(people.values())
        self.editors = []
        for name in ("zhao", "qian"):
            answer = self.admin.post("/users", {
                "username": f"{name}{self.system.namespace}", "password": "password-123",
                "display_name": name, "roles": ["editor"], "unit_ids": [],
                "email": f"{name}@example.cn"})
            assert answer.status_code == 201, answer.text
            api = Api(self.system.base).login(f"{name}{self.system.namespace}",
                                              "password-123")
            self.editors.append(Person(answer.json()["id"], api, name))
        hook = self.admin.post("/webhooks", {"url": self.sink.url, "event_types":
                                             ["report_submitted"], "secret": "s" * 32})
        assert hook.status_code == 201, hook.text

    def second(self, service) -> ServiceProcess:
        return self.system.second(service)

    def pids(self) -> dict:
        """{service: pid} of the processes the launcher runs (read from /proc)."""
        found = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                    args = cmdline.read().split(b"\0")
                with open(f"/proc/{entry}/stat") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            if parent == self.system.process.pid and b"minyi_common.serve" in args:
                found[args[args.index(b"minyi_common.serve") + 1].decode()] = int(entry)
        return found

    def burst(self, **kwargs) -> Burst:
        return Burst(self.authors, **kwargs)

    def check(self, burst, recovered, what, resend_allowed=False):
        """``recovered``: seconds from the fault's end until /readyz said ready."""
        broken = broken_invariants(self.urls, burst, self.admin, self.editors, self.smtp,
                                   self.sink, resend_allowed=resend_allowed)
        print(f"\n{what}: ready {recovered} s after the fault; {burst.retried()} of "
              f"{burst.count} submissions needed a retry; 5xx met: "
              f"{ {s: burst.server_errors.count(s) for s in set(burst.server_errors)} }")
        assert recovered is not None, f"{what}: not ready within {RECOVERY_LIMIT:g} s\n" \
                                      + self.system.tail(80)
        assert broken == [], f"{what}: {broken}\n" + self.system.tail(80)
        return recovered

    def close(self):
        clean = self.system.stop()
        self.system.cleanup_broker()
        self.sink.stop()
        self.smtp.stop()
        assert clean, "SIGTERM did not stop every process of the system within 30 s"


@pytest.fixture(scope="module")
def systems(amqp_uri, broker_uri, tmp_path_factory, pg_server_url):
    """The system on SQLite and on PostgreSQL (each on a vhost of its own), started at
    once; each fault hits both at the same moment (each burst has a tag of its own, so
    each test checks its own reports)."""
    BROWSER.finish()  # the browser tests run beside the rest: not while the broker restarts
    made, makers = {}, {}

    def start(backend, vhost_uri):
        tmp_path = tmp_path_factory.mktemp(f"faults-{backend}")
        makers[backend] = DatabaseMaker(backend, tmp_path,
                                        pg_server_url if backend == "postgresql" else None)
        made[backend] = FaultySystem(vhost_uri, makers[backend], backend, tmp_path)
        made[backend].populate()
    with own_vhost(broker_uri) as second_uri:
        try:
            at_once(lambda: start("sqlite", amqp_uri), lambda: start("postgresql", second_uri))
            yield made
        finally:
            _tear_down(made, makers)


def _tear_down(made, makers):
    try:
        rabbitmqctl("start_app")  # whatever happened, both are left running
        postgres("start")
        at_once(*[system.close for system in made.values()])
    finally:
        for maker in makers.values():
            maker.drop_all()


def check_all(systems, bursts, recovered, what, resend_allowed=False):
    """``recovered``: for each system hit, seconds from the fault's end until /readyz said
    ready (polled from that moment, while the burst went on); then the invariants."""
    for backend, seconds in zip(bursts, recovered):
        systems[backend].check(bursts[backend], seconds, f"{what} ({backend})", resend_allowed)


def bases(systems, bursts) -> list:
    return [systems[backend].system.base for backend in bursts]


def test_a_broker_restart_mid_burst_costs_seconds_not_an_outage(systems):
    pids = {backend: system.pids() for backend, system in systems.items()}
    bursts = {backend: system.burst(count=BURST) for backend, system in systems.items()}
    recovered = under_fault(list(bursts.values()), restart_broker, BURST // 5,
                            bases(systems, bursts), RECOVERY_LIMIT)
    check_all(systems, bursts, recovered, "broker restart")
    for backend, system in systems.items():  # nobody died and was started again
        assert system.pids() == pids[backend], f"{backend}: a process was restarted"


def test_a_database_restart_mid_burst_costs_seconds_not_an_outage(systems):
    pids = systems["postgresql"].pids()
    bursts = {"postgresql": systems["postgresql"].burst(count=BURST)}
    recovered = under_fault(list(bursts.values()), restart_postgres, BURST // 5,
                            bases(systems, bursts), RECOVERY_LIMIT)
    check_all(systems, bursts, recovered, "PostgreSQL restart")
    assert systems["postgresql"].pids() == pids, "a process was restarted"


def test_each_service_killed_in_turn_is_started_again_and_nothing_is_lost(systems):
    recovery = {backend: {} for backend in systems}

    def kill_each(backend):
        system = systems[backend]
        for service in SERVICES:
            before = system.pids()
            os.kill(before[service], signal.SIGKILL)
            killed = time.monotonic()
            # The launcher starts it again (a new pid) and the system is ready again.
            assert eventually(lambda: system.pids().get(service) not in (None, before[service]),
                              timeout=RECOVERY_LIMIT), f"{service} was not started again"
            recovery[backend][service] = seconds_until_ready(system.system.base, killed,
                                                             RECOVERY_LIMIT)
            assert recovery[backend][service] is not None, \
                f"{backend}: not ready within {RECOVERY_LIMIT:g} s after {service} was killed"

    bursts = {backend: system.burst(count=BURST) for backend, system in systems.items()}
    recovered = under_fault(list(bursts.values()),
                            lambda: at_once(*[lambda b=b: kill_each(b) for b in systems]),
                            BURST // 10, bases(systems, bursts), RECOVERY_LIMIT)
    print(f"\nready again after SIGKILL, s: {recovery}")
    check_all(systems, bursts, recovered, "SIGKILL of each service in turn",
              resend_allowed=True)


def test_one_of_two_instances_killed_mid_burst_loses_nothing(systems):
    extras = [system.second(service) for system in systems.values()
              for service in ("intake", "review", "scoring", "notify")]
    assert eventually(lambda: all(p.started() for p in extras), timeout=60)

    def kill_extras():
        for process in extras:
            process.kill()

    bursts = {backend: system.burst(count=BURST) for backend, system in systems.items()}
    # Early in the burst: what the killed instances held comes back while it goes on.
    recovered = under_fault(list(bursts.values()), kill_extras, BURST // 6,
                            bases(systems, bursts), RECOVERY_LIMIT)
    check_all(systems, bursts, recovered, "SIGKILL of one of two instances",
              resend_allowed=True)
