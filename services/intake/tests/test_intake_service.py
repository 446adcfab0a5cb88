"""Intake in a real nameko container, on a real broker and database."""
import json

import pytest
from kombu import Connection
from nameko.standalone.rpc import ServiceRpcProxy

from minyi_common import events, topology
from minyi_common.errors import ValidationFailed
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
