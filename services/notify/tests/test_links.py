"""Links between installs, notify's part, on SQLite and PostgreSQL: a link's checks, a
message received once and only from the side that may send it, what goes down a link in
order with one in flight per piece, retried for as long as it takes and parked when the
other side refuses it."""
import json
import time
from datetime import timedelta

import pytest

from minyi_common import events
from minyi_common.db import Database, utcnow
from minyi_common.errors import (Conflict, Forbidden, NotFound, Unauthorized,
                                 ValidationFailed)
from minyi_common.testing import both_backends
from services.notify import links
from services.notify.adapters.orm import link_messages, metadata
from services.notify.adapters.sealing import SecretBox
from services.notify.adapters.senders import Rejected, signature

ADMIN = {"id": "admin", "roles": ["admin"], "unit_ids": []}
EDITOR = {"id": "editor", "roles": ["editor"], "unit_ids": []}
SECRET = "s" * 40
BOX = SecretBox(["k" * 40])


class Settings:
    office_name, level = "某某市政协", "city"


def link(db, way, key_id="county-city", unit_id="lower-unit", **changes):
    direction = way
    body = {"name": "某某县政协" if direction == "lower" else "某某省政协",
            "url": "http://127.0.0.1:9/", "level": "county" if direction == "lower" else
            "province", "direction": direction, "key_id": key_id, "secret": SECRET,
            "allow_private": True, **changes}
    return links.create_link(db, ADMIN, body, BOX, unit_id if direction == "lower" else None)


def piece_message(**changes):
    return {"id": "6f1c2f5e-8a43-4a0e-9d36-1f5e3c1b2a01", "type": "piece", "piece_id": "p-1",
            "seq": 1, "office": "某某县政协", "level": "county",
            "title": "关于整治灌溉渠道渗漏的建议", "situation": "情况", "analysis": "分析",
            "suggestions": "建议", "category": "rural", "urgent": False,
            "consent_to_publish": True, "credited": [{"name": "张三", "unit": "民进县委会"}],
            **changes}


def send(db, message, key_id="county-city", secret=SECRET, at=None):
    body = json.dumps(message, ensure_ascii=False).encode("utf-8")
    return links.receive(db, BOX, key_id, signature(secret, body, at), body)


def outbox(db, event_type):
    table = metadata.tables["outbox"]
    with db.engine.connect() as connection:
        return [json.loads(r.body) for r in connection.execute(
            table.select().where(table.c.event_type == event_type))]


@pytest.fixture
def db(databases):
    database = Database(databases.url("notify"), metadata)
    yield database
    database.dispose()


@both_backends
def test_a_link_is_checked_and_its_secret_kept_sealed(db):
    made = link(db, "lower")
    assert made["unit_id"] == "lower-unit" and "secret" not in made
    with pytest.raises(ValidationFailed) as refused:
        link(db, "upper", key_id="县-city")
    assert "key_id" in refused.value.errors
    for changes, field in ( ({"secret": "short"}, "secret"),
                           ({"direction": "sideways"}, "direction"),
                           ({"url": "ftp://x.example/"}, "url"),
                           ({"level": "town"}, "level")):
        with pytest.raises(ValidationFailed) as refused:
            link(db, "upper", key_id="other", **changes)
        assert field in refused.value.errors
    with pytest.raises(ValidationFailed) as refused:  # a private address needs the choice
        link(db, "upper", key_id="other", allow_private=False)
    assert "url" in refused.value.errors
    with pytest.raises(Conflict):
        link(db, "upper")  # the key id is taken
    with pytest.raises(Forbidden):
        links.create_link(db, EDITOR, {}, BOX)
    stored = db.engine.connect().execute(metadata.tables["links"].select()).first()
    assert SECRET not in stored.secret and BOX.open(stored.secret) == SECRET
    [listed] = links.list_links(db, ADMIN)["items"]
    assert (listed["waiting"], listed["parked"], listed["last_success_at"]) == (0, 0, None)


@both_backends
def test_a_piece_from_a_lower_office_is_applied_once_and_only_when_signed(db):
    link(db, "lower")
    assert send(db, piece_message()) == {"status": "accepted"}
    assert send(db, piece_message()) == {"status": "duplicate"}  # the sender retried
    [received] = outbox(db, "link_piece_received")
    assert received["unit_id"] == "lower-unit"
    assert received["message"]["credited"] == [{"name": "张三", "unit": "民进县委会"}]
    with pytest.raises(Unauthorized):  # another secret
        send(db, piece_message(id="6f1c2f5e-8a43-4a0e-9d36-1f5e3c1b2a02"), secret="x" * 40)
    with pytest.raises(Unauthorized):  # signed ten minutes ago
        send(db, piece_message(id="6f1c2f5e-8a43-4a0e-9d36-1f5e3c1b2a03"),
             at=int(time.time()) - 600)
    with pytest.raises(Unauthorized):  # an unknown link
        send(db, piece_message(id="6f1c2f5e-8a43-4a0e-9d36-1f5e3c1b2a04"), key_id="nobody")
    with pytest.raises(Unauthorized):  # a lower office sends pieces, not decisions
        send(db, {**piece_message(id="6f1c2f5e-8a43-4a0e-9d36-1f5e3c1b2a05"),
                  "type": "decision"})
    with pytest.raises(ValidationFailed) as refused:
        send(db, piece_message(id="6f1c2f5e-8a43-4a0e-9d36-1f5e3c1b2a06", title="短"))
    assert "title" in refused.value.errors
    assert len(outbox(db, "link_piece_received")) == 1


@both_backends
def test_a_decision_comes_only_for_a_piece_that_went_up_that_link(db):
    upper = link(db, "upper", key_id="county-city")
    decision = {"id": "0a6a5d7e-2d5f-4b55-9a52-3f0f3b8f3c11", "type": "decision",
                "piece_id": "p-9", "seq": 1, "office": "某某省政协", "level": "province",
                "decision": "adopted", "mode": "single", "date": "2026-12-01"}
    with pytest.raises(NotFound):
        send(db, decision)
    with db.unit_of_work() as uow:
        links.queue_for_links(uow, Settings, events.parse_event(events.new_event(
            "piece_forwarded", "editor", None, piece_id="p-9", link_id=upper["id"],
            message={"title": "关于整治灌溉渠道渗漏的建议"})))
        uow.commit()
    assert send(db, {**decision, "id": "0a6a5d7e-2d5f-4b55-9a52-3f0f3b8f3c12"}) == {
        "status": "accepted"}
    [event] = outbox(db, "link_decision_received")
    assert (event["piece_id"], event["link_level"]) == ("p-9", "province")
    with pytest.raises(ValidationFailed) as refused:  # an adoption says how
        send(db, {**decision, "id": "0a6a5d7e-2d5f-4b55-9a52-3f0f3b8f3c13", "mode": None})
    assert "mode" in refused.value.errors


def _report_event(kind, report_id, **fields):
    return events.parse_event(events.new_event(kind, "editor", report_id, report={
        "id": report_id, "author_id": "lower-unit", "co_author_ids": [], "unit_id": "lower-unit",
        "title": "关于整治灌溉渠道渗漏的建议", "category": "rural",
        "submitted_at": utcnow().isoformat()}, **fields))


@both_backends
def test_what_happens_to_a_received_piece_goes_back_in_order_and_waits_its_turn(db):
    link(db, "lower")
    send(db, piece_message())
    report_id = outbox(db, "link_piece_received")[0]["new_report_id"]
    adopted = _report_event("report_adopted", report_id, mode="merged", level="city",
                            decided_on="2026-12-02")
    instructed = _report_event("report_outcome_recorded", report_id, outcome={
        "id": "o1", "kind": "instructed", "level": "city", "date": "2026-12-03",
        "leader": "市长", "text": "请水利局办理"})
    for event in (adopted, instructed, adopted):  # the adoption is delivered twice
        with db.unit_of_work() as uow:
            links.queue_for_links(uow, Settings, event)
            uow.commit()
    with db.engine.connect() as connection:
        rows = connection.execute(link_messages.select().order_by(link_messages.c.seq)).all()
    bodies = [json.loads(r.body) for r in rows]
    assert [(b["seq"], b["decision"], b["piece_id"]) for b in bodies] == [
        (1, "adopted", "p-1"), (2, "outcome", "p-1")]
    assert bodies[1]["outcome"]["leader"] == "市长" and bodies[0]["office"] == "某某市政协"

    sent = []

    def down_then_up(link_row, row):
        sent.append(json.loads(row["body"])["seq"])
        if len(sent) == 1:
            raise ConnectionError("the county's install is down")
    assert links.dispatch_once(db, down_then_up, base_delay=30)
    # The first waits for its retry (15 s at the least); the second may not overtake it.
    assert not links.dispatch_once(db, down_then_up, base_delay=30)
    with db.engine.begin() as connection:  # the retry's time has come
        connection.execute(link_messages.update().where(link_messages.c.seq == 1)
                           .values(next_attempt_at=utcnow()))
    assert links.dispatch_once(db, down_then_up, base_delay=30)
    assert links.dispatch_once(db, down_then_up, base_delay=30)
    assert sent == [1, 1, 2]
    [state] = links.list_links(db, ADMIN)["items"]
    assert state["waiting"] == 0 and state["last_success_at"] is not None


@both_backends
def test_a_refused_message_is_parked_and_shown_a_failing_one_tried_on(db):
    upper = link(db, "upper")
    for piece in ("p-1", "p-2"):
        with db.unit_of_work() as uow:
            links.queue_for_links(uow, Settings, events.parse_event(events.new_event(
                "piece_forwarded", "editor", None, piece_id=piece, link_id=upper["id"],
                message={"title": "关于整治灌溉渠道渗漏的建议"})))
            uow.commit()

    def refuse(link_row, row):
        raise Rejected(404 if json.loads(row["body"])["piece_id"] == "p-1" else 503)
    for _ in range(2):
        links.dispatch_once(db, refuse, base_delay=30)
    [state] = links.list_links(db, ADMIN)["items"]
    assert (state["parked"], state["waiting"]) == (1, 1) and "HTTP" in state["last_error"]
    # Five minutes at the most between tries, however long it has been failing.
    assert max(links.backoff(n, 2.0, rng=lambda: 1.0) for n in range(1, 40)) == links.MAX_DELAY
    with db.engine.connect() as connection:
        waiting = connection.execute(link_messages.select().where(
            link_messages.c.status == "pending")).first()
    assert waiting.next_attempt_at > utcnow() + timedelta(seconds=10)
    # Once the other side is put right, the admin sends the parked one again.
    again = links.retry_parked(db, ADMIN, upper["id"])
    assert (again["parked"], again["waiting"]) == (0, 2)
    with pytest.raises(Forbidden):
        links.retry_parked(db, EDITOR, upper["id"])
    with pytest.raises(NotFound):
        links.retry_parked(db, ADMIN, "no-such-link")
