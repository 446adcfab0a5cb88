"""A local stand-in for WeCom's (企业微信) server API, in a thread of the test process:
``/cgi-bin/gettoken`` hands out access tokens for one corp ID and secret, and
``/cgi-bin/message/send`` takes an app message when its token is one it gave and still
valid, its agent ID is the app's and its receiver is a member, answering with WeCom's
error codes otherwise (40013, 40001, 40014, 42001, 81013, -1). ``expire_tokens()`` makes
the tokens given so far expire; ``busy(n)`` answers the next n sends with a 503."""
import json
import secrets
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlparse


class FakeWeCom:
    def __init__(self, corp_id="ww-fake-corp", secret="fake-app-secret", agent_id=1000002,
                 members=(), token_lifetime=7200):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.corp_id, self.secret, self.agent_id = corp_id, secret, agent_id
        self.members = set(members)  # empty: every UserID is a member
        self.token_lifetime = token_lifetime
        self.tokens = {}  # token -> when it expires (time.time())
        self.tokens_issued = 0
        self.messages, self.refusals = [], []
        self.unavailable = 0
        self.lock = threading.Lock()
        self.url = f"wecom://{corp_id}:{secret}@127.0.0.1:{self.port}?agent={agent_id}&http=1"
        self.server = None

    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens = {token: 0 for token in self.tokens}

    def busy(self, sends: int) -> None:
        with self.lock:
            self.unavailable = sends

    def received(self) -> list:
        with self.lock:
            return list(self.messages)

    def start(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def answer(self, body: dict, status: int = 200) -> None:
                data = json.dumps(body, ensure_ascii=False).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def error(self, code: int, text: str) -> None:
                with fake.lock:
                    fake.refusals.append(code)
                self.answer({"errcode": code, "errmsg": text})

            def do_GET(self):
                url = urlparse(self.path)
                query = dict(parse_qsl(url.query))
                if url.path != "/cgi-bin/gettoken":
                    return self.answer({}, 404)
                if query.get("corpid") != fake.corp_id:
                    return self.error(40013, "invalid corpid")
                if query.get("corpsecret") != fake.secret:
                    return self.error(40001, "invalid credential")
                with fake.lock:
                    token = secrets.token_urlsafe(24)
                    fake.tokens[token] = time.time() + fake.token_lifetime
                    fake.tokens_issued += 1
                self.answer({"errcode": 0, "errmsg": "ok", "access_token": token,
                             "expires_in": fake.token_lifetime})

            def do_POST(self):
                url = urlparse(self.path)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if url.path != "/cgi-bin/message/send":
                    return self.answer({}, 404)
                with fake.lock:
                    if fake.unavailable:
                        fake.unavailable -= 1
                        return self.answer({}, 503)
                    expires = fake.tokens.get(dict(parse_qsl(url.query)).get("access_token"))
                if expires is None:
                    return self.error(40014, "invalid access_token")
                if expires < time.time():
                    return self.error(42001, "access_token expired")
                sent = json.loads(body)
                if sent.get("agentid") != fake.agent_id:
                    return self.error(40056, "invalid agentid")
                if sent.get("msgtype") not in ("text", "textcard") \
                        or sent["msgtype"] not in sent:
                    return self.error(40008, "invalid message type")
                if fake.members and sent.get("touser") not in fake.members:
                    return self.error(81013, "user & party & tag all invalid")
                with fake.lock:
                    fake.messages.append(sent)
                self.answer({"errcode": 0, "errmsg": "ok", "invaliduser": "",
                             "msgid": secrets.token_hex(8)})

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
