"""Intake in a real nameko container, on a real broker and database."""
import json

import pytest
from kombu import Connection
from nameko.exceptions import deserialize
from nameko.standalone.rpc import ServiceRpcProxy

from minyi_common import events, topology
from minyi_common.errors import Conflict, Forbidden, ValidationFailed
from minyi_common.testing import both_backends
from services.intake.service import IntakeService

AUTHOR = {"id": "p-author", "username": "zhang", "roles": ["member"], "unit_ids": ["u-1"]}
GOOD = {
    "title": "关于加强农村饮水安全的建议",
    "situation": "部分偏远山村仍靠山泉水和浅井取水，旱季断水，雨季浑浊。" * 2,
    "analysis": "管网老化、管护经费不足，村级管水员缺少培训，水质检测频次偏低。" * 2,
    "suggestions": "一是纳入县级财政预算；二是建立村级管水员制度；三是每季度抽检水质。",
    "category": "rural",
}


def drain(amqp_uri, queue, expected, timeout=5.0):
    """Collect ``expected`` messages from a queue, acking them."""
    got = []
    with Connection(amqp_uri) as connection:
        simple = connection.SimpleQueue(queue)
        try:
            while len(got) < expected:
                message = simple.get(block=True, timeout=timeout)
                got.append(message.payload)
                message.ack()
        finally:
            simple.close()
    return got


@both_backends
def test_a_submitted_report_is_stored_and_its_event_published(container_factory,
                                                             service_config, amqp_uri,
                                                             namespace):
    cfg = service_config("intake")
    container = container_factory(IntakeService, cfg)
    container.start()
    with ServiceRpcProxy("intake", cfg) as intake:
        answer = intake.create_report(AUTHOR, GOOD)
        report = answer["report"]
        assert answer["created"] and report["status"] == "submitted"
        assert report["situation"] == GOOD["situation"]
        assert intake.get_report(AUTHOR, report["id"])["history"][0]["action"] == "submitted"

    queue = topology.queue_name(namespace, "review", "report_submitted")
    [body] = drain(amqp_uri, queue, 1)
    event = events.parse_event(body if isinstance(body, dict) else json.loads(body))
    assert event["report_id"] == report["id"]
    assert event["report"]["author_id"] == "p-author"


def test_invalid_report_names_each_field_and_stores_nothing(container_factory, service_config):
    cfg = service_config("intake")
    container = container_factory(IntakeService, cfg)
    container.start()
    bad = dict(GOOD, title="短", category="weather", situation="a\x07b")
    with ServiceRpcProxy("intake", cfg) as intake:
        with pytest.raises(ValidationFailed) as caught:
            intake.create_report(AUTHOR, bad)
        assert set(caught.value.errors) == {"title", "category", "situation"}
        assert intake.list_reports(AUTHOR, {})["total"] == 0


def test_idempotency_key_returns_the_same_report(container_factory, service_config):
    cfg = service_config("intake")
    container = container_factory(IntakeService, cfg)
    container.start()
    with ServiceRpcProxy("intake", cfg) as intake:
        first = intake.create_report(AUTHOR, GOOD, "key-1")
        again = intake.create_report(AUTHOR, GOOD, "key-1")
        assert again["report"]["id"] == first["report"]["id"] and not again["created"]
        assert intake.list_reports(AUTHOR, {})["total"] == 1


@both_backends
def test_two_retries_with_one_key_at_once_make_one_report(container_factory, service_config):
    import eventlet
    cfg = service_config("intake")
    container_factory(IntakeService, cfg).start()
    answers, failures = [], []

    def submit():
        # Every call must answer: a crash of one (a unique-key clash not retried) would
        # otherwise vanish in its green thread.
        try:
            with ServiceRpcProxy("intake", cfg) as intake:
                answers.append(intake.create_report(AUTHOR, GOOD, "double-click"))
        except Exception as exc:
            failures.append(exc)

    for _ in range(3):
        pool = eventlet.GreenPool()
        for _ in range(4):
            pool.spawn(submit)
        pool.waitall()
    assert failures == [] and len(answers) == 12
    assert len({a["report"]["id"] for a in answers}) == 1
    assert sum(a["created"] for a in answers) == 1
    with ServiceRpcProxy("intake", cfg) as intake:
        assert intake.list_reports(AUTHOR, {})["total"] == 1


@both_backends
def test_a_gathered_batch_answers_each_submission_in_its_own_right(
        container_factory, service_config, amqp_uri, namespace):
    """The gateway gathers concurrent submissions into one call; each is answered as it
    would be alone, and only what was answered as stored is stored and published."""
    cfg = service_config("intake")
    container_factory(IntakeService, cfg).start()
    batch = [
        [AUTHOR, GOOD, "k1"],                                      # stored
        [AUTHOR, dict(GOOD, title="短", category="weather"), "k2"],  # refused by its fields
        [AUTHOR, GOOD, "k1"],                                      # the same request again
        [AUTHOR, dict(GOOD, co_author_ids=["p-nobody"]), None],    # refused by the directory
        [AUTHOR, dict(GOOD, title=GOOD["title"] + "（二）"), None],  # stored
        [AUTHOR, dict(GOOD, title=GOOD["title"] + "（三）"), "k1"],  # k1 with another body
        [{"id": "p-x", "roles": []}, GOOD, None],                  # may not write at all
    ]
    with ServiceRpcProxy("intake", cfg) as intake:
        answers = intake.create_reports(batch)
        assert len(answers) == len(batch)
        first, fields, again, directory, second, reused, nobody = answers
        assert first["answer"]["created"] and second["answer"]["created"]
        assert not again["answer"]["created"]
        assert again["answer"]["report"]["id"] == first["answer"]["report"]["id"]
        refused = {name: deserialize(each["error"]) for name, each in (
            ("fields", fields), ("directory", directory), ("reused", reused),
            ("nobody", nobody))}
        assert isinstance(refused["fields"], ValidationFailed)
        assert set(refused["fields"].errors) == {"title", "category"}
        assert isinstance(refused["directory"], ValidationFailed)
        assert set(refused["directory"].errors) == {"co_author_ids"}
        assert isinstance(refused["reused"], Conflict)
        assert isinstance(refused["nobody"], (Forbidden, ValidationFailed))
        listed = intake.list_reports(AUTHOR, {})
        assert sorted(r["id"] for r in listed["items"]) == sorted(
            [first["answer"]["report"]["id"], second["answer"]["report"]["id"]])
        # k2 was refused: it was never taken, so the corrected request is stored.
        assert intake.create_report(AUTHOR, GOOD | {"title": GOOD["title"] + "（四）"},
                                    "k2")["created"]
        # Keys used by requests that committed before, in a batch with a new one: the
        # retry is answered as its first request was, the misuse refused alone.
        retry, fifth, misuse = intake.create_reports([
            [AUTHOR, GOOD, "k1"], [AUTHOR, dict(GOOD, title=GOOD["title"] + "（五）"), "k5"],
            [AUTHOR, GOOD, "k2"]])
        assert not retry["answer"]["created"]
        assert retry["answer"]["report"]["id"] == first["answer"]["report"]["id"]
        assert fifth["answer"]["created"]
        assert isinstance(deserialize(misuse["error"]), Conflict)
        assert intake.list_reports(AUTHOR, {})["total"] == 4

    queue = topology.queue_name(namespace, "review", "report_submitted")
    published = [b if isinstance(b, dict) else json.loads(b) for b in drain(amqp_uri, queue, 4)]
    assert len({event["report_id"] for event in published}) == 4
    with pytest.raises(Exception):  # and nothing more: the refused left no event behind
        drain(amqp_uri, queue, 1, timeout=1.0)
