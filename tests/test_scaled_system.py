"""The deployed shape (docs/architecture.md): PostgreSQL for every service, scoring ×3, review ×2 and
notify ×2 (make run's own instances plus extra ones, as `docker compose up --scale`), under
a burst of reports with withdrawals racing their submission, two editors racing on each
decision, three outcomes recorded at one moment per adopted report, a rule-set change
mid-stream, one scoring instance SIGKILLed and restarted, and the broker restarted
between the decisions and the outcomes. Then the invariants: points
equal a recomputation and what the rules give, intake, review and scoring agree on every
report, no withdrawn report is queued, every notice arrives once, no dead letters.

(The broker restarts at a quiet moment here; a restart in the middle of a burst is
"Survive faults"' to prove.)"""
import threading
import uuid
from datetime import date

import pytest
from sqlalchemy import func, select

from minyi_common import topology
from minyi_common.dlq import inspect
from minyi_common.testing import race
from services.notify.adapters.orm import metadata as notify_metadata
from services.notify.adapters.orm import notifications
from services.review.adapters.orm import cases
from services.review.adapters.orm import metadata as review_metadata
from services.scoring.adapters.orm import metadata as scoring_metadata
from services.scoring.adapters.orm import report_records

from .browser_run import BROWSER
from .faults import ready, restart_broker, rows
from .people import REPORT, make_people
from .system import eventually, running_system

EXTRA = ("scoring", "scoring", "review", "notify")
AUTHORS = 4
REPORTS_EACH = 5
OUTCOMES = ({"kind": "forwarded", "level": "city", "target": "市政协办公室"},
            {"kind": "upstream_adopted", "level": "city", "mode": "single"},
            {"kind": "instructed", "level": "county", "leader": "县长", "text": "请研究落实。"})


@pytest.fixture
def deployed(amqp_uri, pg_server_url, tmp_path):
    BROWSER.finish()  # the browser tests run beside the rest: not while the broker restarts
    with running_system(amqp_uri, str(tmp_path), backend="postgresql",
                        pg_server_url=pg_server_url) as system:
        extra = [system.second(service) for service in EXTRA]
        yield system, system.urls, extra


def test_the_deployed_shape_keeps_every_point_and_every_status(deployed, amqp_uri):
    system, urls, extra = deployed
    roles = {f"author{n}": ["member"] for n in range(AUTHORS)}
    _, people = make_people(system, **roles, zhao=["editor"], qian=["editor"])
    authors = [people[f"author{n}"] for n in range(AUTHORS)]
    editors = [people["zhao"].api, people["qian"].api]
    admin = system.admin()

    # A burst: every author submits at once; every fifth report is withdrawn at once too,
    # racing its own submission through review.
    def write(author, n):
        answer = author.api.post("/reports", dict(REPORT, title=f"关于第{n}件事情的建议"),
                                 headers={"Idempotency-Key": str(uuid.uuid4())})
        assert answer.status_code == 201, answer.text
        report = answer.json()
        if n % 5 == 0:
            assert author.api.post(f"/reports/{report['id']}/withdraw").status_code == 200
        return report["id"], author, n % 5 == 0

    written = race(*[lambda a=a, n=n: write(a, n) for a in authors
                     for n in range(REPORTS_EACH)])
    assert [w for w in written if isinstance(w, Exception)] == []
    withdrawn = {rid for rid, _, w in written if w}
    pending = [(rid, author) for rid, author, w in written if not w]

    def queued_ids():
        items = editors[0].get("/review/queue?page_size=200").json()["items"]
        return {i["id"] for i in items}
    assert eventually(lambda: {r for r, _ in pending} <= queued_ids(), timeout=20)

    # Two editors race on each decision, exactly one wins: both adopt half of the
    # reports; on the other half one rejects while the other returns.
    adopted = []
    for index, (report_id, author) in enumerate(pending):
        if index % 2 == 0:
            results = race(*[lambda r=report_id, e=e: e.post(f"/review/{r}/adopt", {})
                             for e in editors])
            adopted.append((report_id, author))
        else:
            results = race(lambda r=report_id: editors[0].post(f"/review/{r}/reject", {
                               "reason_code": "duplicate", "comment": "与其他信息重复"}),
                           lambda r=report_id: editors[1].post(f"/review/{r}/return", {
                               "comment": "请补充数据"}))
        codes = sorted(r.status_code for r in results)
        assert codes == [200, 409], [r.text for r in results]
        if index == len(pending) // 2:
            # Mid-stream: an instance dies without a goodbye, and comes back.
            extra[0].kill()
            extra[0] = system.second("scoring")

    # The broker restarts between the decisions and the outcomes (rabbitmqctl stop_app,
    # start_app): every instance reconnects and the system is ready again by itself.
    restart_broker(pause=5.0)
    assert eventually(lambda: ready(system.base), timeout=60), system.tail()

    # A new rule set, effective today, mid-stream: a county instruction is worth 6.
    rules = admin.get("/scores/rules").json()["items"][-1]["rules"]
    new_rules = [dict(r, points=6 if (r["event"], r["level"]) == ("instructed", "county")
                      else r["points"]) for r in rules]
    today = date.today().isoformat()
    rule_change = threading.Thread(target=lambda: admin.post("/scores/rules", {
        "effective_from": today, "rules": new_rules}))

    # Three outcomes at one moment per adopted report: all succeed (no 409).
    for n, (report_id, _) in enumerate(adopted):
        if n == len(adopted) // 2:
            rule_change.start()
        results = race(*[lambda o=o, r=report_id, e=e: e.post(f"/review/{r}/outcomes",
                                                               dict(o, date=today))
                         for o, e in zip(OUTCOMES, editors * 2)])
        assert [r.status_code for r in results] == [200, 200, 200], [r.text for r in results]
    rule_change.join(30)

    # Quiet: every event through every instance.
    expected_points = {a.id: 0.0 for a in authors}
    for _, author in adopted:
        expected_points[author.id] += 1 + 5 + 10 + 6  # accepted, adopted, city, county head

    year = str(date.today().year)

    def points_match():
        return all(admin.get(f"/scores/people/{pid}?period={year}").json()["points"] == points
                   for pid, points in expected_points.items())
    assert eventually(points_match, timeout=60), {
        pid: admin.get(f"/scores/people/{pid}?period={year}").json()["points"]
        for pid in expected_points}
    check = admin.get("/scores/check").json()
    assert check["ok"], check

    # intake, review and scoring agree on every report's status and outcomes.
    review_rows = {r.report_id: r for r in rows(urls["review"], review_metadata, select(
        cases.c.report_id, cases.c.status, cases.c.outcomes))}
    scoring_rows = {r.report_id: r for r in rows(urls["scoring"], scoring_metadata, select(
        report_records.c.report_id, report_records.c.status, report_records.c.outcomes))}
    adopted_ids = {r for r, _ in adopted}
    for report_id, author, _ in written:
        seen = eventually(lambda: author.api.get(f"/reports/{report_id}").json(), timeout=5)
        statuses = (seen["status"], review_rows[report_id].status, scoring_rows[report_id].status)
        assert len(set(statuses)) == 1, (report_id, statuses)
        expected = 3 if report_id in adopted_ids else 0
        assert (len(seen["outcomes"]), len(review_rows[report_id].outcomes),
                len(scoring_rows[report_id].outcomes)) == (expected,) * 3, report_id
    assert not (withdrawn & queued_ids())
    assert all(review_rows[r].status == "withdrawn" for r in withdrawn)

    # Every notice once: per adopted report its author has one adoption notice and three
    # outcome notices; per withdrawn report none.
    notices = rows(urls["notify"], notify_metadata, select(
        notifications.c.report_id, notifications.c.recipient_id, notifications.c.kind,
        func.count()).group_by(notifications.c.report_id, notifications.c.recipient_id,
                               notifications.c.kind))
    by_report = {}
    for report_id, recipient, kind, count in notices:
        by_report.setdefault((report_id, recipient), {})[kind] = count
    for report_id, author in adopted:
        assert by_report.get((report_id, author.id), {}).get("adopted") == 1
        assert by_report.get((report_id, author.id), {}).get("outcome") == 3
    assert not [k for k in by_report if k[0] in withdrawn]
    assert inspect(amqp_uri, system.namespace) == []
    assert all(p.process.poll() is None for p in extra), "an extra instance died"
    assert topology  # the namespace's queues are removed by the fixture
