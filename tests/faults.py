"""A careful client under load, faults injected while it works, and the invariants that
must hold afterwards ("Survive faults"): every logical submission is exactly one report,
every report reached review and scoring, points equal a recomputation, every notice was
delivered once per (event, recipient, channel), and the system is ready again in time.
"""
import json
import os
import shutil
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests
from sqlalchemy import func, select

from minyi_common.db import Database
from minyi_common.testing import race
from services.intake.adapters.orm import metadata as intake_metadata
from services.intake.adapters.orm import reports
from services.review.adapters.orm import cases
from services.review.adapters.orm import metadata as review_metadata
from services.scoring.adapters.orm import metadata as scoring_metadata
from services.scoring.adapters.orm import report_records

from .people import REPORT
from .system import eventually, free_port

# How long the careful client keeps trying one request (a fault lasts seconds).
PATIENCE = 120.0


class GaveUp(Exception):
    pass


def careful(call, patience=PATIENCE, seen=None):
    """``call()`` until it gives an answer that is not a 5xx, as a careful client does:
    on a 5xx or a dropped connection it waits (``Retry-After`` when given, else a growing
    pause) and sends the same request again. Returns (answer, attempts); each 5xx status
    is added to ``seen``."""
    deadline, pause, attempts = time.monotonic() + patience, 0.2, 0
    while True:
        attempts += 1
        try:
            answer = call()
            if answer.status_code < 500:
                return answer, attempts
            if seen is not None:
                seen.append(answer.status_code)
            wait = float(answer.headers.get("Retry-After") or pause)
            why = f"{answer.status_code} {answer.text[:200]}"
        except requests.RequestException as exc:
            wait, why = pause, exc.__class__.__name__
        if time.monotonic() + wait > deadline:
            raise GaveUp(f"no answer after {attempts} attempts: {why}")
        time.sleep(min(wait, 2.0))
        pause = min(pause * 2, 2.0)


class Burst:
    """``count`` reports submitted by ``authors`` from ``workers`` threads, each with its
    own Idempotency-Key (kept across retries); every tenth one urgent, so the editors are
    told of it (a notice and an email each)."""

    def __init__(self, authors, count=300, workers=12, tag=None):
        self.authors, self.count, self.workers = authors, count, workers
        self.tag = tag or uuid.uuid4().hex[:6]
        self.keys = [str(uuid.uuid4()) for _ in range(count)]
        self.answers = [None] * count
        self.attempts = [0] * count
        self.errors = []
        self.server_errors = []  # the status of every 5xx answer met on the way
        self.done = 0
        self._lock = threading.Lock()

    def body(self, n):
        return dict(REPORT, title=f"关于第{n}件民生实事的建议（{self.tag}）", urgent=n % 10 == 0)

    def _submit(self, n):
        author = self.authors[n % len(self.authors)]
        try:
            answer, attempts = careful(lambda: author.api.post(
                "/reports", self.body(n), headers={"Idempotency-Key": self.keys[n]}),
                seen=self.server_errors)
            self.answers[n], self.attempts[n] = answer, attempts
            if answer.status_code != 201:
                self.errors.append((n, answer.status_code, answer.text[:300]))
        except Exception as exc:  # noqa: BLE001 (each one is a finding, reported)
            self.errors.append((n, None, repr(exc)))
        with self._lock:
            self.done += 1

    def run(self):
        with ThreadPoolExecutor(self.workers) as pool:
            list(pool.map(self._submit, range(self.count)))

    def report_ids(self):
        return [a.json()["id"] for a in self.answers if a is not None and a.status_code == 201]

    def urgent_ids(self):
        return [self.answers[n].json()["id"] for n in range(self.count)
                if self.body(n)["urgent"] and self.answers[n] is not None
                and self.answers[n].status_code == 201]

    def retried(self) -> int:
        return sum(1 for a in self.attempts if a > 1)


def under_fault(bursts, fault, fault_after, bases=(), limit=30.0):
    """Run ``bursts`` at once; when each has had ``fault_after`` submissions answered, run
    ``fault()`` while they go on. From the moment the fault ends, /readyz of each of
    ``bases`` is polled while the bursts go on. Returns the seconds each took to be ready
    again (None: not within ``limit``); raises what the fault raised."""
    ended = {}

    def inject():
        while any(burst.done < fault_after for burst in bursts):
            time.sleep(0.02)
        try:
            fault()
        except BaseException as exc:  # noqa: BLE001 (raised again below)
            ended["error"] = exc
            return
        at = time.monotonic()
        ended["recovered"] = at_once(*[lambda b=b: seconds_until_ready(b, at, limit)
                                       for b in bases]) if bases else []

    threads = [threading.Thread(target=b.run) for b in bursts] + [threading.Thread(target=inject)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(600)
    if "error" in ended:
        raise ended["error"]
    assert "recovered" in ended, "the fault did not end"
    return ended["recovered"]


def at_once(*calls) -> list:
    """Run ``calls`` in threads of their own (``race``); their results, raising the
    first error."""
    results = race(*calls)
    for result in results:
        if isinstance(result, Exception):
            raise result
    return results


class WebhookSink:
    """An outside system subscribed to report_submitted: counts the deliveries of each
    event id (a signed POST each)."""

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.received = {}  # {event id: (deliveries, report id)}
        lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                event = json.loads(self.rfile.read(int(self.headers.get("Content-Length"))))
                with lock:
                    count, _ = sink.received.get(event["event_id"], (0, None))
                    sink.received[event["event_id"]] = (count + 1, event.get("report_id"))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def deliveries_for(self, report_ids) -> dict:
        """{event id: deliveries} of the events about ``report_ids``."""
        wanted = set(report_ids)
        return {event_id: count for event_id, (count, report_id) in list(self.received.items())
                if report_id in wanted}

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def rows(url, metadata, statement):
    db = Database(url, metadata)
    try:
        with db.unit_of_work(read_only=True) as uow:
            return uow.execute(statement).all()
    finally:
        db.dispose()


def ready(base) -> bool:
    try:
        return requests.get(base + "/readyz", timeout=3).status_code == 200
    except requests.RequestException:
        return False


def seconds_until_ready(base, since, timeout=30.0):
    """Seconds from ``since`` (monotonic) until /readyz answered ready; None if it did
    not within ``timeout`` seconds."""
    deadline = since + timeout
    while time.monotonic() < deadline:
        if ready(base):
            return round(time.monotonic() - since, 1)
        time.sleep(0.2)
    return None


def broken_invariants(urls, burst, admin, editors, smtp, sink, timeout=90,
                      resend_allowed=False) -> list:
    """What does not hold once the dust settles (an empty list when all is well).
    ``resend_allowed``: a notify instance was SIGKILLed, so an email it was sending may
    have gone out twice as the same message."""
    broken = []
    if burst.errors:
        broken.append(f"{len(burst.errors)} submissions without a 201: {burst.errors[:5]}")
    # A fault is a 503 (or a gateway's 502/504), something to retry: never a 500.
    if [status for status in burst.server_errors if status not in (502, 503, 504)]:
        broken.append(f"answers that were not 502/503/504: {sorted(set(burst.server_errors))}")
    ids = burst.report_ids()
    if len(set(ids)) != len(ids):
        broken.append("two Idempotency-Keys were answered with the same report")

    # Every logical submission is exactly one report.
    titles = [burst.body(n)["title"] for n in range(burst.count)]
    made = rows(urls["intake"], intake_metadata, select(reports.c.title, func.count()).where(
        reports.c.title.in_(titles)).group_by(reports.c.title))
    twice = [title for title, count in made if count != 1]
    if twice or len(made) != burst.count:
        broken.append(f"intake holds {len(made)} of {burst.count} reports, "
                      f"{len(twice)} of them more than once")

    # Every report reached review and scoring.
    for name, metadata, table in (("review", review_metadata, cases),
                                  ("scoring", scoring_metadata, report_records)):
        def known(name=name, metadata=metadata, table=table):
            return rows(urls[name], metadata, select(func.count()).where(
                table.c.report_id.in_(ids)))[0][0]
        if not eventually(lambda: known() == len(ids), timeout=timeout, interval=0.5):
            broken.append(f"{name} knows {known()} of {len(ids)} reports")

    # Points equal a recomputation from the recorded facts.
    check = admin.get("/scores/check").json()
    if not check.get("ok"):
        broken.append(f"points differ from a recomputation: {check}")

    # Every notice once per (event, recipient, channel): the webhook saw every
    # report_submitted once; each editor got one email per urgent report.
    eventually(lambda: len(sink.deliveries_for(ids)) >= len(ids), timeout=timeout,
               interval=0.5)
    hooks = sink.deliveries_for(ids)
    repeated = {k: v for k, v in hooks.items() if v > 1}
    # (as with email below: only a sender killed mid-send sends again, the same event id)
    if len(hooks) != len(ids) or (repeated and not resend_allowed):
        broken.append(f"webhook: {len(hooks)} of {len(ids)} events delivered, "
                      f"{len(repeated)} more than once")
    expected_mail = len(burst.urgent_ids()) * len(editors)
    relevant = lambda: {k: v for k, v in smtp.received().items()  # noqa: E731
                        if burst.tag in k[1]}
    eventually(lambda: len(relevant()) >= expected_mail, timeout=timeout, interval=0.5)
    mail = relevant()
    # An email is sent again only when the instance sending it was killed between the
    # send and its record (no SMTP can be told "exactly once"); the copy is then the same
    # message (one Message-ID), which a mail store keeps once. Anything else is a fault.
    repeated = {k: ids for k, ids in mail.items() if len(ids) > 1}
    distinct = {k: ids for k, ids in repeated.items() if len(set(ids)) > 1}
    if len(mail) != expected_mail or distinct or (repeated and not resend_allowed):
        broken.append(f"email: {len(mail)} of {expected_mail} sent, {len(repeated)} more "
                      f"than once, {len(distinct)} as different messages")
    # Each editor's inbox: one notice per urgent report.
    for editor in editors:
        inbox = editor.api.get("/notifications?page_size=200").json()["items"]
        seen = [n for n in inbox if n.get("report_id") in set(burst.urgent_ids())]
        if len(seen) != len(burst.urgent_ids()):
            broken.append(f"{editor.name}'s inbox has {len(seen)} of "
                          f"{len(burst.urgent_ids())} urgent notices")
    return broken


def rabbitmqctl(*args, timeout=120):
    ctl = shutil.which("rabbitmqctl")
    if not ctl:
        raise RuntimeError("these tests restart the local broker with rabbitmqctl")
    subprocess.run([ctl, *args], check=True, capture_output=True, timeout=timeout)


def restart_broker(pause=8.0):
    """`rabbitmqctl stop_app`, ``pause`` seconds away, `start_app`."""
    rabbitmqctl("stop_app")
    time.sleep(pause)
    rabbitmqctl("start_app")
    rabbitmqctl("await_startup")


def postgres(verb: str, timeout=120):
    """`pg_ctlcluster <version> main <verb>` for the machine's PostgreSQL cluster."""
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    if not versions or not shutil.which("pg_ctlcluster"):
        raise RuntimeError("this test restarts the local PostgreSQL with pg_ctlcluster")
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", verb],
                   capture_output=True, timeout=timeout,
                   check=verb != "start")  # start: it may be running already


def restart_postgres(pause=3.0):
    """PostgreSQL stopped (fast: every session is cut), ``pause`` seconds away, started."""
    postgres("stop")
    time.sleep(pause)
    postgres("start")
