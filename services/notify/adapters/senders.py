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
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection


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
    """The X-Minyi-Signature header (docs/security.md): ``t=<unix time>,v1=<hex HMAC-SHA256 of
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


class _Pinned:
    """A connection to the address notify checked, whatever the name resolves to by now
    (DNS rebinding between the check and the connect). The name still goes in the Host
    header, the TLS server name and the certificate check. (urllib3 connects to
    ``_dns_host``; a test fails if a newer urllib3 stops honouring it.)"""

    def __init__(self, *args, pinned_address=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._pinned_address = pinned_address

    def _new_conn(self):
        if self._pinned_address:
            self._dns_host = self._pinned_address
        return super()._new_conn()


class _PinnedHTTPConnection(_Pinned, HTTPConnection):
    pass


class _PinnedHTTPSConnection(_Pinned, HTTPSConnection):
    pass


class _PinnedAdapter(HTTPAdapter):
    def __init__(self, address: str):
        super().__init__(max_retries=0)
        self.address = address

    def get_connection_with_tls_context(self, *args, **kwargs):
        pool = super().get_connection_with_tls_context(*args, **kwargs)
        pool.ConnectionCls = _PinnedHTTPSConnection if pool.scheme == "https" \
            else _PinnedHTTPConnection
        pool.conn_kw["pinned_address"] = self.address
        return pool


class Rejected(Exception):
    """The receiver answered, but not with a 2xx."""

    def __init__(self, status: int):
        super().__init__(f"the receiver answered {status}")
        self.status = status


class WebhookSender:
    def __init__(self, timeout: float = 5.0):
        self.timeout = timeout

    def post(self, url: str, body: bytes, secret: str, event_id: str, event_type: str,
             pinned_address: str | None = None) -> None:
        headers = {"Content-Type": "application/json", "User-Agent": "Minyi-Webhooks/1",
                   "X-Minyi-Signature": signature(secret, body), "X-Minyi-Event-Id": event_id,
                   "X-Minyi-Event-Type": event_type}
        answer = post_pinned(url, body, pinned_address, self.timeout, headers)
        if not 200 <= answer.status_code < 300:
            raise Rejected(answer.status_code)


def post_pinned(url: str, body: bytes, pinned_address: str | None, timeout: float,
                headers: dict):
    """POST to the address notify checked (when one was), following no redirect: a
    receiver must not send us on to an address we did not check."""
    # A session per send: its pool is pinned to this send's checked address.
    with requests.Session() as http:
        if pinned_address:
            http.mount("http://", _PinnedAdapter(pinned_address))
            http.mount("https://", _PinnedAdapter(pinned_address))
        return http.post(url, data=body, timeout=timeout, headers=headers,
                         allow_redirects=False)


def describe(exc: Exception) -> str:
    """What went wrong with a send, in the words of the admin who reads 发送记录 (the
    English detail goes to the log)."""
    if isinstance(exc, Rejected):
        if 300 <= exc.status < 400:
            return f"对方要求转到其他地址（HTTP {exc.status}），为安全起见不跟随跳转"
        return f"对方服务器回应 HTTP {exc.status}（应为 2xx）"
    if isinstance(exc, (requests.exceptions.SSLError, ssl.SSLError)):
        return "加密连接失败：对方证书无法验证"
    if isinstance(exc, (requests.exceptions.Timeout, TimeoutError)):
        return "对方服务器响应超时"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return "邮件服务器拒绝登录，请检查 SMTP_URL 中的用户名和密码"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "邮件服务器拒收该收件地址"
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return "邮件服务器拒收发件地址（MINYI_MAIL_FROM）"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"邮件服务器报错（代码 {exc.smtp_code}）"
    if isinstance(exc, smtplib.SMTPException):
        return "与邮件服务器的会话中断"
    if isinstance(exc, (requests.exceptions.ConnectionError, OSError)):
        return "无法连接对方服务器"
    return "发送出错，详情见 notify 服务日志"
