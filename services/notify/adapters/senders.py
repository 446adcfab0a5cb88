"""The outside world notify talks to: an SMTP server and webhook receivers."""
import hashlib
import hmac
import smtplib
import ssl
import time
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import unquote, urlparse

import requests


def subject_line(text: str) -> str:
    """A subject is one header line: any line break or run of spaces becomes one space
    (a header with a newline would be refused, or worse, inject headers)."""
    return " ".join((text or "").split())[:200]


class SmtpSender:
    """``smtp://user:pass@host:port`` (``smtps://`` for implicit TLS). Over ``smtp://`` the
    connection turns to TLS (STARTTLS) whenever the server offers it, before any password
    or message is sent; certificates are verified (``tls`` is the context; the system's
    trusted authorities by default)."""

    def __init__(self, smtp_url: str, mail_from: str, timeout: float = 10.0, tls=None):
        self.url = urlparse(smtp_url)
        self.mail_from, self.timeout = mail_from, timeout
        self.tls = tls or ssl.create_default_context()

    def send(self, to: str, subject: str, body: str, message_id: str | None = None) -> None:
        message = EmailMessage()
        message["From"], message["To"] = self.mail_from, to
        message["Subject"] = subject_line(subject)
        message["Message-ID"] = message_id or make_msgid(domain="minyi")
        message.set_content(body)
        secure = self.url.scheme == "smtps"
        port = self.url.port or (465 if secure else 25)
        if secure:
            client = smtplib.SMTP_SSL(self.url.hostname, port, timeout=self.timeout,
                                      context=self.tls)
        else:
            client = smtplib.SMTP(self.url.hostname, port, timeout=self.timeout)
        with client:
            if not secure:
                client.ehlo()
                if client.has_extn("starttls"):
                    client.starttls(context=self.tls)
                    client.ehlo()
            if self.url.username:
                client.login(unquote(self.url.username), unquote(self.url.password or ""))
            client.send_message(message)


def signature(secret: str, body: bytes, at: int | None = None) -> str:
    """The X-Minyi-Signature header (SPEC §14): ``t=<unix time>,v1=<hex HMAC-SHA256 of
    "<t>.<body>">``. The time is signed with the body, so a captured delivery cannot be
    replayed later (receivers refuse one older than a few minutes: see ``verify``)."""
    at = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode("utf-8"), f"{at}.".encode("ascii") + body, hashlib.sha256)
    return f"t={at},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, tolerance: int = 300,
           now: float | None = None) -> bool:
    """What a receiver does with X-Minyi-Signature (the README shows the same in a few
    lines): the HMAC of "<t>.<body>" matches, and t is within ``tolerance`` seconds."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        at = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs((time.time() if now is None else now) - at) > tolerance:
        return False
    expected = signature(secret, body, at).split(",", 1)[1]
    return hmac.compare_digest(expected, f"v1={parts.get('v1', '')}")


class WebhookSender:
    def __init__(self, timeout: float = 5.0):
        self.timeout = timeout
        self.http = requests.Session()

    def post(self, url: str, body: bytes, secret: str, event_id: str, event_type: str) -> None:
        headers = {"Content-Type": "application/json", "User-Agent": "Minyi-Webhooks/1",
                   "X-Minyi-Signature": signature(secret, body), "X-Minyi-Event-Id": event_id,
                   "X-Minyi-Event-Type": event_type}
        # No redirects: a receiver must not send us on to an address we did not check.
        answer = self.http.post(url, data=body, timeout=self.timeout, headers=headers,
                                allow_redirects=False)
        if not 200 <= answer.status_code < 300:
            raise RuntimeError(f"the receiver answered {answer.status_code}")
