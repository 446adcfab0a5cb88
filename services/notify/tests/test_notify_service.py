"""Notify in a real container on a real broker, with a real SMTP server and a real
webhook receiver: exactly once per (event, recipient, channel), and never lost."""
import json
from datetime import datetime, timezone
from email.header import decode_header, make_header
import time

import eventlet
import pytest
from eventlet import wsgi
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import select

from minyi_common import events
from minyi_common.amqp import ConfirmingPublisher
from minyi_common.db import Database
from minyi_common.dlq import inspect
from minyi_common.testing import SmtpServer, both_backends
from services.notify.adapters.orm import metadata, people, webhooks
from services.notify.adapters.senders import verify
from services.notify.adapters.sealing import SecretBox
from services.notify.service import NotifyService, prepare as notify_prepare
from tests.system import free_port

ADMIN = {"id": "admin", "roles": ["admin"], "unit_ids": []}
AUTHOR = {"id": "p-author", "roles": ["member"], "unit_ids": ["u1"]}
SECRET = "a-shared-secret-of-some-length"


def wait_for(check, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        eventlet.sleep(0.05)
    return check()


class Receiver:
    """A webhook receiver that answers with the next status of ``statuses``."""

    def __init__(self, statuses=(200,), location=None):
        self.statuses, self.calls, self.location = list(statuses), [], location
        self.port = free_port()
        self.server = eventlet.listen(("127.0.0.1", self.port))
        self.thread = eventlet.spawn(wsgi.server, self.server, self.app, log_output=False)

    def app(self, environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        headers = {k[5:].replace("_", "-").title(): v for k, v in environ.items()
                   if k.startswith("HTTP_")}
        self.calls.append((headers, body))
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        start_response(f"{status} X", [("Content-Type", "text/plain")]
                       + ([("Location", self.location)] if self.location else []))
        return [b"ok"]

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/hook"

    def stop(self):
        self.thread.kill()
        self.server.close()


@pytest.fixture
def smtp(tmp_path):
    server = SmtpServer(tmp_path).start()
    yield server
    server.stop()


def start_notify(container_factory, service_config, smtp_port, max_attempts=3,
                 allow_private=True):
    # The receivers of these tests listen on 127.0.0.1.
    cfg = service_config("notify", smtp_url=f"smtp://127.0.0.1:{smtp_port}",
                         delivery_base_delay=0.1, delivery_max_attempts=max_attempts,
                         webhook_allow_private=allow_private)
    container = container_factory(NotifyService, cfg)
    container.start()
    return cfg


def introduce(cfg, *people_events):
    """Publish directory events and wait until notify has them: an event about a report
    names its recipients, and a person notify does not know yet gets no email."""
    for event in people_events:
        publish(cfg, event)
    wanted = {e["person"]["id"] for e in people_events}
    database = Database(cfg["DB_URL"], metadata)
    try:
        assert wait_for(lambda: wanted <= set(_known(database)))
    finally:
        database.dispose()


def _known(database):
    with database.engine.connect() as connection:
        return connection.execute(select(people.c.id)).scalars().all()


def publish(cfg, event):
    settings = cfg["MINYI"]
    publisher = ConfirmingPublisher(settings.amqp_uri)
    try:
        publisher.publish_event(settings.namespace, event["event_type"], json.dumps(event))
    finally:
        publisher.close()


def person_event(pid, email, roles=("member",), units=("u1",)):
    return events.new_event("directory.person_upserted", "admin", person={
        "id": pid, "username": pid, "display_name": pid, "roles": list(roles),
        "unit_ids": list(units), "email": email, "active": True})


def adopted_event(report_id="r1", co=()):
    return events.new_event("report_adopted", "editor", report_id, report={
        "id": report_id, "author_id": "p-author", "co_author_ids": list(co), "unit_id": "u1",
        "title": "关于农村饮水安全的建议", "category": "rural",
        "submitted_at": "2026-07-01T08:00:00+00:00"}, mode="single", level="county",
        issue_label="2026年第12期", decided_on="2026-07-10")


def deliveries(cfg, **filters):
    with ServiceRpcProxy("notify", cfg) as notify:
        return notify.list_deliveries(ADMIN, filters)["items"]


@both_backends
def test_a_duplicated_event_gives_one_inbox_item_and_one_email(container_factory,
                                                              service_config, smtp):
    cfg = start_notify(container_factory, service_config, smtp.port)
    introduce(cfg, person_event("p-author", "author@example.org"),
              person_event("p-admin", "admin@example.org", roles=("unit_admin",)),
              person_event("p-other", "other@example.org", units=("u2",)))
    event = adopted_event()
    publish(cfg, event)
    publish(cfg, event)
    assert wait_for(lambda: len(smtp.messages()) >= 2)
    # Would a second copy arrive, or the copy fail on a unique constraint and be parked?
    # (retries after 0.2 and 0.5 s: it would be in the dead-letter queue by now)
    eventlet.sleep(1.5)
    settings = cfg["MINYI"]
    assert inspect(settings.amqp_uri, settings.namespace) == []
    to = sorted(m["To"] for m in smtp.messages())
    assert to == ["admin@example.org", "author@example.org"]  # the unit's admin too
    message = [m for m in smtp.messages() if m["To"] == "author@example.org"][0]
    assert str(make_header(decode_header(message["Subject"]))) == "《关于农村饮水安全的建议》已被录用"
    assert "单篇采用" in message.get_payload(decode=True).decode("utf-8")
    with ServiceRpcProxy("notify", cfg) as notify:
        inbox = notify.inbox(AUTHOR, {})
        assert inbox["total"] == 1 and inbox["unread"] == 1
        assert "2026年第12期" in inbox["items"][0]["body"]
        other = {"id": "p-other", "roles": ["member"], "unit_ids": ["u2"]}
        assert notify.inbox(other, {})["total"] == 0
        from minyi_common.errors import NotFound
        with pytest.raises(NotFound):
            notify.mark_read(other, inbox["items"][0]["id"])
        assert notify.mark_read(AUTHOR, inbox["items"][0]["id"])["read"] is True
        assert notify.inbox(AUTHOR, {"unread": "1"})["total"] == 0


def test_email_waits_for_an_smtp_server_that_is_down_at_first(container_factory,
                                                              service_config, tmp_path):
    down = SmtpServer(tmp_path)  # not started yet: nothing listens on its port
    # Ten tries, 0.1 s doubling: about a minute and a half of patience in all.
    cfg = start_notify(container_factory, service_config, down.port, max_attempts=10)
    introduce(cfg, person_event("p-author", "author@example.org"))
    publish(cfg, adopted_event())
    assert wait_for(lambda: any(d["attempts"] >= 1 for d in deliveries(cfg)))
    assert deliveries(cfg)[0]["status"] in ("pending", "sending")
    down.start()
    try:
        assert wait_for(lambda: len(down.messages()) == 1, timeout=15)
        assert wait_for(lambda: deliveries(cfg)[0]["status"] == "sent")
    finally:
        down.stop()


def test_a_person_who_turned_email_off_gets_the_inbox_item_only(container_factory,
                                                                service_config, smtp):
    cfg = start_notify(container_factory, service_config, smtp.port)
    introduce(cfg, person_event("p-author", "author@example.org"))
    with ServiceRpcProxy("notify", cfg) as notify:
        off = {"sms": False, "wecom": False, "sms_available": False,
               "wecom_available": False, "phone": None, "wecom_userid": None}
        assert notify.get_preferences(AUTHOR) == {"email": True, **off}
        assert notify.put_preferences(AUTHOR, {"email": False}) == {"email": False, **off}
        publish(cfg, adopted_event())
        assert wait_for(lambda: notify.inbox(AUTHOR, {})["total"] == 1)
    eventlet.sleep(0.5)
    assert smtp.messages() == [] and deliveries(cfg) == []


def test_webhooks_are_signed_retried_then_failed_and_retried_by_hand(container_factory,
                                                                    service_config, smtp):
    receiver = Receiver(statuses=[500])
    cfg = start_notify(container_factory, service_config, smtp.port)
    try:
        with ServiceRpcProxy("notify", cfg) as notify:
            from minyi_common.errors import Forbidden, ValidationFailed
            with pytest.raises(ValidationFailed) as caught:
                notify.create_webhook(ADMIN, {"url": "ftp://x", "event_types": ["nothing"],
                                              "secret": "short"})
            assert set(caught.value.errors) == {"url", "event_types", "secret"}
            with pytest.raises(Forbidden):
                notify.create_webhook(AUTHOR, {"url": receiver.url,
                                               "event_types": ["report_adopted"],
                                               "secret": SECRET})
            hook = notify.create_webhook(ADMIN, {"url": receiver.url,
                                                 "event_types": ["report_adopted"],
                                                 "secret": SECRET})
            assert "secret" not in hook
        event = adopted_event()
        publish(cfg, event)
        failed = wait_for(lambda: deliveries(cfg, status="failed"), timeout=15)
        # What the admin reads in 发送记录 is Chinese.
        assert failed and failed[0]["attempts"] == 3
        assert failed[0]["last_error"] == "对方服务器回应 HTTP 500（应为 2xx）", failed
        assert len(receiver.calls) == 3
        headers, body = receiver.calls[0]
        assert verify(SECRET, headers["X-Minyi-Signature"], body)
        assert not verify("another-secret-of-length", headers["X-Minyi-Signature"], body)
        assert not verify(SECRET, headers["X-Minyi-Signature"], body + b" ")
        assert headers["X-Minyi-Event-Id"] == event["event_id"]
        assert json.loads(body)["event_id"] == event["event_id"]

        receiver.statuses = [200]
        with ServiceRpcProxy("notify", cfg) as notify:
            notify.retry_delivery(ADMIN, failed[0]["id"])
        assert wait_for(lambda: deliveries(cfg, status="sent"))
        assert len(receiver.calls) == 4
        publish(cfg, event)  # the same event again: no new delivery
        eventlet.sleep(0.5)
        assert len(receiver.calls) == 4
    finally:
        receiver.stop()


INSIDE = ["http://127.0.0.1:9/hook", "http://localhost/hook", "http://[::1]/hook",
          "http://10.1.2.3/hook", "http://172.16.0.1/hook", "http://192.168.1.1/hook",
          "http://169.254.169.254/latest/meta-data/", "http://100.64.0.1/", "http://224.0.0.1/",
          "http://0.0.0.0/", "http://[::ffff:127.0.0.1]/", "http://2130706433/",
          "http://gateway:8000/", "http://rabbitmq:15672/", "http://no-such-host.invalid/"]


def test_webhook_secrets_are_kept_sealed_and_a_lost_key_is_said_in_chinese(
        container_factory, service_config, smtp):
    """What the database keeps does not sign deliveries: the secret is encrypted with
    MINYI_DATA_KEY. A secret no key of this deployment opens (the key was changed) fails
    its delivery with a reason the admin can act on, and nothing is sent."""
    receiver = Receiver()
    cfg = start_notify(container_factory, service_config, smtp.port)
    database = Database(cfg["DB_URL"], metadata)
    try:
        with ServiceRpcProxy("notify", cfg) as notify:
            notify.create_webhook(ADMIN, {"url": receiver.url, "event_types": ["report_adopted"],
                                          "secret": SECRET})
        with database.unit_of_work(read_only=True) as uow:
            stored = uow.execute(select(webhooks.c.secret)).scalar_one()
        assert stored.startswith("fernet:") and SECRET not in stored
        with database.unit_of_work() as uow:
            uow.execute(webhooks.insert().values(
                id="hook-of-another-key", url=receiver.url + "?other",
                event_types=["report_adopted"], created_by="admin",
                created_at=datetime.now(timezone.utc),
                secret=SecretBox(["a-key-this-deployment-does-not-have!!"]).seal(SECRET)))
            uow.commit()
        event = adopted_event()
        publish(cfg, event)
        failed = wait_for(lambda: deliveries(cfg, status="failed"), timeout=15)
        assert wait_for(lambda: deliveries(cfg, status="sent"))
        assert failed and failed[0]["last_error"].startswith("无法解开该 webhook 的共享密钥"), failed
        assert [call[0]["X-Minyi-Event-Id"] for call in receiver.calls] == [event["event_id"]]
        headers, body = receiver.calls[0]
        assert verify(SECRET, headers["X-Minyi-Signature"], body)
    finally:
        receiver.stop()
        database.dispose()


def test_secrets_kept_in_the_clear_are_sealed_before_the_service_starts(make_settings,
                                                                        databases):
    """Webhooks added before secrets were sealed: the service's start seals them, once."""
    settings = make_settings("notify", databases.url("notify"))
    database = Database(settings.db_url, metadata)
    try:
        with database.unit_of_work() as uow:
            uow.execute(webhooks.insert().values(
                id="hook-old", url="https://8.8.8.8/minyi", event_types=["report_adopted"],
                secret=SECRET, created_by="admin", created_at=datetime.now(timezone.utc)))
            uow.commit()
        notify_prepare(settings)
        with database.unit_of_work(read_only=True) as uow:
            sealed = uow.execute(select(webhooks.c.secret)).scalar_one()
        assert sealed.startswith("fernet:") and SECRET not in sealed
        assert SecretBox(settings.data_keys).open(sealed) == SECRET
        notify_prepare(settings)  # again: sealed already, left as it is
        with database.unit_of_work(read_only=True) as uow:
            assert uow.execute(select(webhooks.c.secret)).scalar_one() == sealed
    finally:
        database.dispose()


def test_a_webhook_into_the_deployments_own_network_is_refused(container_factory,
                                                                service_config, smtp):
    """SSRF: loopback, private, link-local (the cloud's metadata), shared, multicast and
    unspecified addresses, however written, and this deployment's own names, are refused
    with a field error and nothing is stored, unless MINYI_WEBHOOK_ALLOW_PRIVATE is set."""
    from minyi_common.errors import ValidationFailed
    cfg = start_notify(container_factory, service_config, smtp.port, allow_private=False)
    with ServiceRpcProxy("notify", cfg) as notify:
        for url in INSIDE:
            with pytest.raises(ValidationFailed) as caught:
                notify.create_webhook(ADMIN, {"url": url, "event_types": ["report_adopted"],
                                              "secret": SECRET})
            assert set(caught.value.errors) == {"url"}, url
        assert notify.list_webhooks(ADMIN)["total"] == 0
        public = notify.create_webhook(ADMIN, {"url": "https://8.8.8.8/minyi",
                                               "event_types": ["report_adopted"],
                                               "secret": SECRET})
        assert public["url"] == "https://8.8.8.8/minyi"


def test_a_webhook_address_is_checked_again_before_each_delivery(container_factory,
                                                                  service_config, smtp):
    """A name that resolved to a public address when the webhook was added may resolve
    to this server now (DNS rebinding): the delivery is refused, the receiver never hit."""
    receiver = Receiver()
    cfg = start_notify(container_factory, service_config, smtp.port, allow_private=False)
    database = Database(cfg["DB_URL"], metadata)
    try:
        with database.unit_of_work() as uow:  # as if it had resolved elsewhere back then
            uow.execute(webhooks.insert().values(
                id="hook-1", url=receiver.url, event_types=["report_adopted"], secret=SECRET,
                created_by="admin", created_at=datetime.now(timezone.utc)))
            uow.commit()
        publish(cfg, adopted_event())
        failed = wait_for(lambda: deliveries(cfg, status="failed"), timeout=15)
        assert failed and failed[0]["last_error"] == \
            "127.0.0.1 解析为 127.0.0.1，不是公网地址，未发送", failed
        assert receiver.calls == []
    finally:
        receiver.stop()
        database.dispose()


def test_a_webhook_receiver_cannot_redirect_a_delivery(container_factory, service_config,
                                                      smtp):
    elsewhere = Receiver()
    redirecting = Receiver(statuses=[302], location=elsewhere.url)
    cfg = start_notify(container_factory, service_config, smtp.port)
    try:
        with ServiceRpcProxy("notify", cfg) as notify:
            notify.create_webhook(ADMIN, {"url": redirecting.url,
                                          "event_types": ["report_adopted"], "secret": SECRET})
        publish(cfg, adopted_event())
        failed = wait_for(lambda: deliveries(cfg, status="failed"), timeout=15)
        assert failed and failed[0]["last_error"] == \
            "对方要求转到其他地址（HTTP 302），为安全起见不跟随跳转", failed
        assert len(redirecting.calls) == 3 and elsewhere.calls == []
    finally:
        redirecting.stop()
        elsewhere.stop()


def test_quota_reminders_and_points_reach_the_person(container_factory, service_config, smtp):
    cfg = start_notify(container_factory, service_config, smtp.port)
    reminder = events.new_event("quota_reminder_due", None, person_id="p-author",
                                quarter="2026-Q3", quota=4, submitted=1, owed=2)
    publish(cfg, reminder)
    publish(cfg, reminder)
    publish(cfg, events.new_event("points_changed", None, "r1", person_id="p-author",
                                  period="2026-Q3", points=6, previous_points=0))
    with ServiceRpcProxy("notify", cfg) as notify:
        items = wait_for(lambda: (lambda i: i if len(i) == 2 else None)(
            notify.inbox(AUTHOR, {})["items"]))
    assert sorted(i["kind"] for i in items) == ["points", "quota"]
