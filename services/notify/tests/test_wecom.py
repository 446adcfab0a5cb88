"""WeCom (企业微信) app messages (docs/notifications.md), against a local fake of WeCom's
server API: the access token is fetched once and kept, fetched again before it runs out
or when WeCom answers that it expired; a busy WeCom is tried later, an unknown member is
refused; deliveries go only to who chose WeCom; an office's default channels apply to
people new to notify; an admin may set a person's channels by the person's own rules."""
import json
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from minyi_common import events
from minyi_common.db import Database
from minyi_common.errors import Forbidden, NotFound, ValidationFailed
from minyi_common.testing import both_backends
from services.notify import handlers
from services.notify.adapters import sms, wecom
from services.notify.adapters.orm import deliveries, metadata
from tests.fake_wecom import FakeWeCom

CARD = wecom.message("《关于农村饮水安全的建议》已退回修改", "请补充数据", "https://minyi.example/reports/r1")


@pytest.fixture
def fake():
    server = FakeWeCom(members={"LaoWang", "XiaoLi"}).start()
    yield server
    server.stop()


def test_the_token_is_kept_and_fetched_again_when_it_expires(fake):
    now = [0.0]
    app = wecom.WeComApp(fake.url, timeout=5, clock=lambda: now[0])
    app.send("LaoWang", CARD)
    app.send("XiaoLi", CARD)
    assert fake.tokens_issued == 1  # one token for both
    fake.expire_tokens()  # WeCom ended it early: 42001, a new token, the message sent
    app.send("LaoWang", CARD)
    assert fake.tokens_issued == 2 and 42001 in fake.refusals
    now[0] = 7200 - wecom.TOKEN_MARGIN  # close to its end: fetched before it runs out
    app.send("LaoWang", CARD)
    assert fake.tokens_issued == 3
    sent = fake.received()
    assert len(sent) == 4 and sent[0]["agentid"] == fake.agent_id
    assert sent[0]["touser"] == "LaoWang" and sent[0]["msgtype"] == "textcard"
    assert sent[0]["textcard"]["url"] == "https://minyi.example/reports/r1"
    assert sent[0]["enable_duplicate_check"] == 1  # a resend after a crash reaches them once


def test_busy_is_tried_later_and_refusals_say_why(fake):
    app = wecom.WeComApp(fake.url, timeout=5)
    fake.busy(1)
    with pytest.raises(sms.Busy):
        app.send("LaoWang", CARD)
    app.send("LaoWang", CARD)  # the next try goes through
    with pytest.raises(sms.Refused, match="81013"):
        app.send("Nobody", CARD)
    wrong = wecom.WeComApp(fake.url.replace(fake.secret, "wrong-secret"), timeout=5)
    with pytest.raises(sms.Refused, match="WECOM_URL"):
        wrong.send("LaoWang", CARD)
    with pytest.raises(sms.Busy):  # nobody answers
        wecom.WeComApp("wecom://c:s@127.0.0.1:9?agent=1&http=1", timeout=1).send("X", CARD)
    assert len(fake.received()) == 1


def test_long_texts_are_cut_to_wecoms_byte_limits():
    card = wecom.message("题" * 100, "内容" * 400, "https://x/r")["textcard"]
    assert len(card["title"].encode()) <= 128 and len(card["description"].encode()) <= 512
    text = wecom.message("标题", "正文", None)
    assert text == {"msgtype": "text", "text": {"content": "标题\n正文"}}


def person(db, settings, person_id, **contact):
    handlers.on_directory_events(db, settings, events.parse_event(events.new_event(
        "directory.person_upserted", "admin", person={
            "id": person_id, "username": person_id, "display_name": person_id,
            "roles": ["member"], "unit_ids": [], "active": True, **contact})))


def returned(report_id, author="author"):
    return events.parse_event(events.new_event("report_returned", "editor", report_id, report={
        "id": report_id, "author_id": author, "co_author_ids": [], "unit_id": None,
        "title": "关于加强农村饮水安全的建议", "category": "rural",
        "submitted_at": datetime.now(timezone.utc).isoformat()}, comment="请补充"))


PRINCIPAL = {"id": "author", "roles": ["member"], "unit_ids": []}
ADMIN = {"id": "admin", "roles": ["admin"], "unit_ids": []}


@both_backends
def test_wecom_messages_go_once_to_who_chose_them(databases):
    db = Database(databases.url("notify"), metadata)
    settings = SimpleNamespace(smtp_url=None, sms_url=None, web_url="https://minyi.example",
                               wecom_url="wecom://c:s@qyapi.weixin.qq.com?agent=1",
                               default_channels=())
    try:
        person(db, settings, "author", wecom_userid="LaoWang")
        person(db, settings, "other", wecom_userid="XiaoLi")  # has an ID, did not choose
        person(db, settings, "noid")
        with pytest.raises(ValidationFailed) as refused:
            handlers.put_preferences(db, settings, {**PRINCIPAL, "id": "noid"}, {"wecom": True})
        assert "wecom" in refused.value.errors
        answer = handlers.put_preferences(db, settings, PRINCIPAL, {"wecom": True})
        assert answer["wecom"] is True and answer["wecom_userid"] == "LaoWang"
        first = returned("r1")
        handlers.on_events(db, settings, first, first)  # the same event twice: one message
        handlers.on_events(db, settings, returned("r2", author="other"))
        with db.engine.connect() as connection:
            made = connection.execute(select(deliveries).where(
                deliveries.c.channel == "wecom")).mappings().all()
        assert [(m["recipient"], m["target"], m["subject"]) for m in made] == [
            ("author", "LaoWang", "returned")]
        card = json.loads(made[0]["body"])["textcard"]
        assert card["url"] == "https://minyi.example/reports/r1" and "退回" in card["title"]
    finally:
        db.dispose()


@both_backends
def test_default_channels_and_an_admins_change(databases):
    db = Database(databases.url("notify"), metadata)
    settings = SimpleNamespace(sms_url="aliyun://k:s@x?sign=s", wecom_url=None,
                               default_channels=("sms",))
    try:
        person(db, settings, "author", phone="13800138000")
        prefs = handlers.get_preferences(db, settings, PRINCIPAL)
        assert (prefs["email"], prefs["sms"], prefs["wecom"]) == (False, True, False)
        # Their next save does not undo what they chose since.
        handlers.put_preferences(db, settings, PRINCIPAL, {"email": True})
        person(db, settings, "author", phone="13800138000")
        assert handlers.get_preferences(db, settings, PRINCIPAL)["email"] is True

        assert handlers.put_preferences_of(db, settings, ADMIN, "author", {"sms": False})[
            "sms"] is False
        assert handlers.get_preferences_of(db, settings, ADMIN, "author")["sms"] is False
        with pytest.raises(ValidationFailed) as refused:  # the same rules as their own
            handlers.put_preferences_of(db, settings, ADMIN, "author", {"wecom": True})
        assert "wecom" in refused.value.errors
        with pytest.raises(NotFound):
            handlers.put_preferences_of(db, settings, ADMIN, "nobody", {"sms": True})
        with pytest.raises(Forbidden):
            handlers.put_preferences_of(db, settings, PRINCIPAL, "author", {"sms": True})
        assert handlers.get_preferences(db, settings, PRINCIPAL)["sms"] is False
    finally:
        db.dispose()
