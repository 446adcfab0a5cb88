"""SMS providers (docs/notifications.md): our signatures equal what Alibaba's and
Tencent's own SDK code computes for the same request, and a local fake that checks them
with that code takes our messages and answers as each provider does."""
import hashlib
import json
from datetime import datetime, timezone
from urllib.parse import urlparse

from types import SimpleNamespace

import pytest
from sqlalchemy import select
from alibabacloud_openapi_util.client import Client as AliyunUtil
from tencentcloud.common.sign import Sign as TencentSign

from minyi_common import events
from minyi_common.contracts import mainland_mobile
from minyi_common.db import Database
from minyi_common.testing import both_backends
from services.notify import handlers
from services.notify.adapters import sms
from services.notify.adapters.orm import deliveries, metadata
from tests.fake_sms import FakeSms

# Offices that set no default channels: email alone until a person chooses.
SETTINGS = SimpleNamespace(default_channels=())


@pytest.mark.parametrize("phone,expected", [
    ("13800138000", "13800138000"), ("+86 138-0013-8000", "13800138000"),
    ("12800138000", None), ("1380013800", None), ("010-12345678", None), (None, None)])
def test_only_a_mainland_mobile_is_texted(phone, expected):
    assert mainland_mobile(phone) == expected


def test_the_aliyun_signature_is_the_sdks():
    client = sms.AliyunSms(urlparse("aliyun://LTAIkey:s3cret%2Bx@dysmsapi.aliyuncs.com"
                                    "?sign=某某政协"), 5)
    query = client.request("13800138000", "SMS_123", {"title": "《关于 A&B~的建议》已退回 修改"},
                           nonce="n-1", at=datetime(2026, 12, 5, 8, tzinfo=timezone.utc))
    signature = query.pop("Signature")
    assert signature == AliyunUtil.get_rpcsignature(query, "GET", "s3cret+x")
    assert query["AccessKeyId"] == "LTAIkey" and query["SignName"] == "某某政协"
    assert query["Timestamp"] == "2026-12-05T08:00:00Z"


def test_the_tencent_signature_is_the_sdks():
    client = sms.TencentSms(urlparse("tencent://AKIDx:key@sms.tencentcloudapi.com"
                                     "?app=1400&sign=某某政协"), 5)
    headers, body = client.request("13800138000", "1234", {"title": "约稿：农村养老"},
                                   at=1764921600)
    canonical = "\n".join(["POST", "/", "", "content-type:application/json; charset=utf-8",
                           "host:sms.tencentcloudapi.com", "", "content-type;host",
                           hashlib.sha256(body).hexdigest()])
    to_sign = "\n".join(["TC3-HMAC-SHA256", "1764921600", "2025-12-05/sms/tc3_request",
                         hashlib.sha256(canonical.encode()).hexdigest()])
    expected = TencentSign.sign_tc3("key", "2025-12-05", "sms", to_sign)
    assert headers["Authorization"] == (
        "TC3-HMAC-SHA256 Credential=AKIDx/2025-12-05/sms/tc3_request, "
        f"SignedHeaders=content-type;host, Signature={expected}")
    sent = json.loads(body)
    assert sent["PhoneNumberSet"] == ["+8613800138000"] and sent["TemplateParamSet"] == [
        "约稿：农村养老"]


@pytest.fixture(params=["aliyun", "tencent"])
def fake(request, tmp_path):
    provider = FakeSms(request.param, tmp_path).start()
    yield provider
    provider.stop()


def test_the_fake_provider_takes_a_signed_message_and_answers_as_the_provider(fake):
    texts = sms.provider(fake.url)
    texts.send("13800138000", "SMS_1", {"title": "《关于饮水安全的建议》已退回修改"})
    got = fake.received()
    assert got[-1]["ok"] and got[-1]["phone"] == "13800138000" and got[-1]["template"] == "SMS_1"
    assert got[-1]["sign"] == "某某政协"
    with pytest.raises(sms.Busy):  # throttled first: worth another try later
        texts.send("13800130000", "SMS_1", {"title": "x"})
    texts.send("13800130000", "SMS_1", {"title": "x"})
    with pytest.raises(sms.Busy):  # the provider down
        texts.send("13800135000", "SMS_1", {"title": "x"})
    with pytest.raises(sms.Refused):
        texts.send("13800139999", "SMS_1", {"title": "x"})


def test_a_wrong_secret_is_refused_by_the_fake(fake):
    wrong = fake.url.replace(":fake-secret@", ":other-secret@")
    with pytest.raises(sms.Refused):
        sms.provider(wrong).send("13800138000", "SMS_1", {"title": "x"})
    assert fake.received()[-1]["ok"] is False and "Signature" in fake.received()[-1]["error"]


def returned(report_id):
    return events.parse_event(events.new_event("report_returned", "editor", report_id, report={
        "id": report_id, "author_id": "author", "co_author_ids": [], "unit_id": None,
        "title": "关于加强农村饮水安全的建议", "category": "rural",
        "submitted_at": datetime.now(timezone.utc).isoformat()}, comment="请补充"))


@both_backends
def test_sms_are_recorded_once_for_who_chose_them_and_at_most_the_daily_limit(databases):
    db = Database(databases.url("notify"), metadata)
    settings = SimpleNamespace(smtp_url=None, web_url="", sms_url="aliyun://k:s@x?sign=s",
                               wecom_url=None, sms_daily_limit=2)
    try:
        for person_id, phone in (("author", "13800138000"), ("other", "13900139000")):
            handlers.on_directory_events(db, SETTINGS, events.parse_event(events.new_event(
                "directory.person_upserted", "admin", person={
                    "id": person_id, "username": person_id, "display_name": person_id,
                    "roles": ["member"], "unit_ids": [], "phone": phone, "active": True})))
        handlers.put_preferences(db, settings, {"id": "author", "roles": ["member"],
                                                "unit_ids": []}, {"sms": True})
        first = returned("r1")
        handlers.on_events(db, settings, first, first)  # the same event twice: one SMS
        handlers.on_events(db, settings, returned("r2"), returned("r3"))
        with db.engine.connect() as connection:
            made = [(r.recipient, r.target, r.subject, json.loads(r.body)) for r in connection.execute(
                select(deliveries).where(deliveries.c.channel == "sms").order_by(deliveries.c.id))]
        assert [m[:3] for m in made] == [("author", "13800138000", "returned")] * 2  # capped
        assert made[0][3] == {"title": "《关于加强农村饮水安全的建议》已退回修改"}
    finally:
        db.dispose()
