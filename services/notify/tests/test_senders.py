"""What notify hands to the outside world: well formed whatever a report's title says, and
over TLS where the mail server offers it."""
import os
import ssl
import subprocess

import pytest
import requests

from minyi_common.testing import SmtpServer
from services.notify.adapters.senders import (Rejected, SmtpSender, WebhookSender, describe,
                                              signature, subject_line, verify)

from .test_notify_service import Receiver


def test_a_subject_is_one_header_line():
    assert subject_line("《关于\n农村饮水\r\n安全的建议》已\t采用") == "《关于 农村饮水 安全的建议》已 采用"
    assert subject_line("x" * 300) == "x" * 200
    assert subject_line("") == ""


def _certificate(folder):
    """A throwaway certificate for 127.0.0.1 (its own authority)."""
    cert, key = str(folder / "smtp.crt"), str(folder / "smtp.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    return cert, key


def test_email_goes_over_starttls_when_the_server_offers_it_and_the_certificate_is_checked(
        tmp_path):
    """An SMTP server that insists on STARTTLS (as most do) gets the message over TLS;
    one whose certificate is not trusted gets nothing at all."""
    cert, key = _certificate(tmp_path)
    server = SmtpServer(tmp_path, tls=(cert, key)).start()
    url = f"smtp://127.0.0.1:{server.port}"
    try:
        trusting = ssl.create_default_context(cafile=cert)
        SmtpSender(url, "minyi@localhost", tls=trusting).send(
            "author@example.org", "《关于某事的建议》已被录用", "正文")
        assert [m["To"] for m in server.messages()] == ["author@example.org"]

        with pytest.raises(ssl.SSLError):  # the system's authorities do not know it
            SmtpSender(url, "minyi@localhost").send("other@example.org", "主题", "正文")
        assert len(server.messages()) == 1
    finally:
        server.stop()


def test_a_webhook_signature_covers_the_time_and_the_body_and_grows_old():
    body = '{"event_id": "e-1"}'.encode()
    header = signature("a-shared-secret-of-some-length", body, at=1_800_000_000)
    assert header.startswith("t=1800000000,v1=") and len(header.split("v1=")[1]) == 64
    secret = "a-shared-secret-of-some-length"
    assert verify(secret, header, body, now=1_800_000_100)
    assert not verify(secret, header, body, now=1_800_000_000 + 301)  # replayed later
    assert not verify(secret, header.replace("t=1800000000", "t=1800000100"), body,
                      now=1_800_000_100)  # a fresher time, not signed
    assert not verify(secret, header, body + b" ", now=1_800_000_100)
    assert not verify(secret, "sha256=00", body) and not verify(secret, "", body)


def test_the_readmes_verification_snippet_accepts_our_signature():
    """The snippet receivers copy from the README, run as it is written there."""
    readme = open(os.path.join(os.path.dirname(__file__), "..", "..", "..", "README.md"),
                  encoding="utf-8").read()
    section = readme[readme.index("## Webhooks: checking a delivery"):]
    code = section[section.index("```python") + len("```python"):section.index("```\n", 10)]
    namespace = {}
    exec(code, namespace)  # noqa: S102 (our own README)
    body, secret = b'{"event_id": "e-1"}', "a-shared-secret-of-some-length"
    assert namespace["from_minyi"](secret, signature(secret, body), body)
    assert not namespace["from_minyi"](secret, signature(secret, body), body + b" ")
    assert not namespace["from_minyi"](secret, signature(secret, body, at=1), body)


def test_a_webhook_goes_to_the_address_that_was_checked_not_to_what_the_name_says_now():
    """DNS rebinding between the check and the connect: the sender connects to the
    address notify checked; the name still goes in the Host header. (A name that does not
    resolve at all stands for one that resolves elsewhere by now.)"""
    receiver = Receiver()
    url = f"http://hook.rebinding.invalid:{receiver.port}/minyi"
    try:
        WebhookSender().post(url, b"{}", "a-shared-secret-of-some-length", "e-1",
                             "report_adopted", pinned_address="127.0.0.1")
        assert [headers["Host"] for headers, _ in receiver.calls] == \
            [f"hook.rebinding.invalid:{receiver.port}"]
        with pytest.raises(requests.ConnectionError):  # unpinned, the name decides
            WebhookSender().post(url, b"{}", "a-shared-secret-of-some-length", "e-2",
                                 "report_adopted")
        assert len(receiver.calls) == 1
    finally:
        receiver.stop()


def test_what_went_wrong_with_a_send_is_said_in_chinese():
    import smtplib
    said = [describe(Rejected(500)), describe(Rejected(302)),
            describe(requests.ConnectionError("refused")), describe(requests.ReadTimeout()),
            describe(ssl.SSLCertVerificationError("bad")),
            describe(smtplib.SMTPAuthenticationError(535, b"no")),
            describe(smtplib.SMTPRecipientsRefused({})), describe(ConnectionRefusedError()),
            describe(ValueError("anything else"))]
    assert said[0] == "对方服务器回应 HTTP 500（应为 2xx）"
    assert "不跟随跳转" in said[1] and said[2] == "无法连接对方服务器"
    assert said[3] == "对方服务器响应超时" and "证书" in said[4] and "SMTP_URL" in said[5]
    assert said[-1] == "发送出错，详情见 notify 服务日志"
    for text in said:  # Chinese, whatever names of settings it carries
        assert any("\u4e00" <= ch <= "\u9fff" for ch in text), text
