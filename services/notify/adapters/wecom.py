"""WeCom (企业微信) app messages (docs/notifications.md), configured by
``WECOM_URL=wecom://CORP_ID:SECRET@qyapi.weixin.qq.com?agent=AGENT_ID``.

WeCom's server API: ``GET /cgi-bin/gettoken?corpid=…&corpsecret=…`` gives an access token
valid ``expires_in`` seconds (7200), and the same token while it is valid; it limits how
often a token may be fetched, so the token is kept and fetched again shortly before it
runs out, or when a send answers that it is invalid or expired (40014, 42001). A message
is ``POST /cgi-bin/message/send?access_token=…`` to one member's UserID; WeCom's own
duplicate check is asked for, so that a message an instance sent but could not record
before it died, and that another instance sends again, reaches the member once."""
import json
import threading
import time
from urllib.parse import parse_qs, unquote, urlparse

import requests

from .sms import Busy, Refused

# Answers that mean "fetch a new token and try once more".
TOKEN_ERRORS = (40014, 41001, 42001)
# Answers that mean "not now": busy (-1), frequency limits (45009, 45033).
BUSY_ERRORS = (-1, 45009, 45033)
# Fetched again this long before WeCom says the token runs out (clocks, slow answers).
TOKEN_MARGIN = 300.0
DUPLICATE_WINDOW = 4 * 3600  # the longest WeCom checks duplicates over


def cut_bytes(text: str, limit: int) -> str:
    """At most ``limit`` bytes of UTF-8, cut at a character (WeCom counts bytes)."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit - 3].decode("utf-8", errors="ignore") + "…"


def message(title: str, body: str, page: str | None) -> dict:
    """What a notice says in WeCom: a card that opens its page, or plain text."""
    if page:
        return {"msgtype": "textcard", "textcard": {
            "title": cut_bytes(title, 128), "description": cut_bytes(body, 512),
            "url": page, "btntxt": "详情"}}
    return {"msgtype": "text", "text": {"content": cut_bytes(f"{title}\n{body}", 2048)}}


class WeComApp:
    def __init__(self, wecom_url: str, timeout: float = 10.0, clock=time.monotonic):
        url = urlparse(wecom_url)
        self.corp_id, self.secret = unquote(url.username or ""), unquote(url.password or "")
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        self.agent_id = int(query["agent"])
        self.base = f"{'http' if query.get('http') == '1' else 'https'}://{url.netloc.split('@')[-1]}"
        self.timeout, self.clock = timeout, clock
        self._token, self._good_until = None, 0.0
        self._lock = threading.Lock()  # one fetch at a time; the others use its token

    def _call(self, method: str, path: str, **kwargs) -> dict:
        try:
            answer = requests.request(method, f"{self.base}{path}", timeout=self.timeout,
                                      **kwargs)
            if answer.status_code >= 500:
                raise Busy(f"企业微信暂不可用：HTTP {answer.status_code}")
            return answer.json()
        except (requests.RequestException, ValueError) as error:
            raise Busy(f"企业微信无应答：{error.__class__.__name__}") from error

    def token(self, renew: bool = False) -> str:
        with self._lock:
            if renew or self._token is None or self.clock() >= self._good_until:
                reply = self._call("GET", "/cgi-bin/gettoken",
                                   params={"corpid": self.corp_id, "corpsecret": self.secret})
                code = reply.get("errcode", -1)
                if code != 0:
                    problem = f"企业微信拒绝发放令牌：{code} {reply.get('errmsg', '')}".strip()
                    raise (Busy if code in BUSY_ERRORS else Refused)(
                        problem + ("" if code in BUSY_ERRORS else "，请检查 WECOM_URL 中的企业 ID 和应用 Secret"))
                self._token = reply["access_token"]
                self._good_until = self.clock() + max(
                    0.0, float(reply.get("expires_in", 7200)) - TOKEN_MARGIN)
            return self._token

    def send(self, user_id: str, content: dict) -> None:
        """Send one message (``message()``'s) to one member, or raise Busy or Refused."""
        body = json.dumps({"touser": user_id, "agentid": self.agent_id, **content,
                           "enable_duplicate_check": 1,
                           "duplicate_check_interval": DUPLICATE_WINDOW},
                          ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8"}
        reply = {}
        for renew in (False, True):
            reply = self._call("POST", "/cgi-bin/message/send", data=body, headers=headers,
                               params={"access_token": self.token(renew)})
            if reply.get("errcode") not in TOKEN_ERRORS:
                break
        code = reply.get("errcode", -1)
        if code == 0:
            if reply.get("invaliduser"):
                raise Refused(f"企业微信中没有这位成员或应用无权发给他：{reply['invaliduser']}")
            return
        problem = f"{code} {reply.get('errmsg', '')}".strip()
        if code in BUSY_ERRORS or code in TOKEN_ERRORS:
            raise Busy(f"企业微信暂不可用：{problem}")
        raise Refused(f"企业微信拒绝发送：{problem}")
