"""A local stand-in for Alibaba Cloud SMS and Tencent Cloud SMS, run as its own process
(``python -m tests.fake_sms PROVIDER PORT KEY_ID SECRET LOG``). It checks every request's
signature with the provider's own SDK code (not ours) and its timestamp, and answers as the
provider does: success, a throttled answer, a refusal, or a signature error. What it took
is appended to LOG as JSON lines. Numbers ending in 0000 are throttled on their first
message; numbers ending in 9999 are refused; numbers ending in 5000 get a 503 first."""
import hashlib
import json
import sys
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlparse

from alibabacloud_openapi_util.client import Client as AliyunUtil
from tencentcloud.common.sign import Sign as TencentSign

SEEN = set()


def aliyun_check(query: dict, key_id: str, secret: str) -> str | None:
    """The error code Alibaba would answer, or None when the request is well signed."""
    signature = query.pop("Signature", "")
    if query.get("AccessKeyId") != key_id:
        return "InvalidAccessKeyId.NotFound"
    if signature != AliyunUtil.get_rpcsignature(query, "GET", secret):
        return "SignatureDoesNotMatch"
    at = datetime.strptime(query["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    if abs(time.time() - at.timestamp()) > 900 or query.get("SignatureMethod") != "HMAC-SHA1":
        return "InvalidTimeStamp.Expired"
    if query.get("SignatureNonce") in SEEN:
        return "SignatureNonceUsed"
    SEEN.add(query["SignatureNonce"])
    return None


def tencent_check(headers, body: bytes, key_id: str, secret: str) -> str | None:
    auth = headers.get("Authorization", "")
    try:
        credential = auth.split("Credential=")[1].split(",")[0]
        signed = auth.split("SignedHeaders=")[1].split(",")[0]
        signature = auth.split("Signature=")[1]
        secret_id, day, service, _ = credential.split("/")
    except (IndexError, ValueError):
        return "AuthFailure.InvalidAuthorization"
    if secret_id != key_id:
        return "AuthFailure.SecretIdNotFound"
    timestamp = int(headers.get("X-TC-Timestamp", "0"))
    if abs(time.time() - timestamp) > 300:
        return "AuthFailure.SignatureExpire"
    names = signed.split(";")
    canonical_headers = "".join(f"{n}:{headers.get(n, '').lower() if n == 'content-type' else headers.get(n, '')}\n"
                                for n in names)
    canonical = "\n".join(["POST", "/", "", canonical_headers, signed,
                           hashlib.sha256(body).hexdigest()])
    to_sign = "\n".join(["TC3-HMAC-SHA256", str(timestamp), f"{day}/{service}/tc3_request",
                         hashlib.sha256(canonical.encode("utf-8")).hexdigest()])
    if signature != TencentSign.sign_tc3(secret, day, service, to_sign):
        return "AuthFailure.SignatureFailure"
    return None


def outcome(phone: str) -> str:
    """OK, THROTTLED, REFUSED or DOWN, as the number asks for."""
    if phone.endswith("9999"):
        return "REFUSED"
    for ending, kind in (("0000", "THROTTLED"), ("5000", "DOWN")):
        if phone.endswith(ending) and (kind, phone) not in SEEN:
            SEEN.add((kind, phone))
            return kind
    return "OK"


def serve(provider: str, port: int, key_id: str, secret: str, log: str) -> None:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def answer(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def keep(self, **record) -> None:
            with open(log, "a", encoding="utf-8") as out:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")

        def do_GET(self):  # Alibaba: SendSms as a signed GET
            query = dict(parse_qsl(urlparse(self.path).query, keep_blank_values=True))
            error = aliyun_check(dict(query), key_id, secret)
            if error:
                self.keep(ok=False, error=error)
                return self.answer(400, {"Code": error, "Message": error})
            phone = query["PhoneNumbers"]
            result = outcome(phone)
            self.keep(ok=result == "OK", outcome=result, phone=phone,
                      template=query["TemplateCode"], sign=query["SignName"],
                      params=json.loads(query["TemplateParam"]))
            if result == "DOWN":
                return self.answer(503, {"Code": "ServiceUnavailable"})
            code = {"OK": "OK", "THROTTLED": "isv.BUSINESS_LIMIT_CONTROL",
                    "REFUSED": "isv.MOBILE_NUMBER_ILLEGAL"}[result]
            self.answer(200, {"Code": code, "Message": code, "RequestId": "fake"})

        def do_POST(self):  # Tencent: SendSms as a signed JSON POST
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            error = tencent_check(self.headers, body, key_id, secret)
            if error:
                self.keep(ok=False, error=error)
                return self.answer(200, {"Response": {"Error": {"Code": error, "Message": error},
                                                      "RequestId": "fake"}})
            request = json.loads(body)
            phone = request["PhoneNumberSet"][0].removeprefix("+86")
            result = outcome(phone)
            self.keep(ok=result == "OK", outcome=result, phone=phone,
                      template=request["TemplateId"], sign=request["SignName"],
                      params=request["TemplateParamSet"])
            if result == "DOWN":
                return self.answer(502, {})
            code = {"OK": "Ok", "THROTTLED": "LimitExceeded.PhoneNumberDailyLimit",
                    "REFUSED": "InvalidParameterValue.IncorrectPhoneNumber"}[result]
            self.answer(200, {"Response": {"SendStatusSet": [{"Code": code, "Message": code}],
                                           "RequestId": "fake"}})

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5])


class FakeSms:
    """The fake in a process of its own; ``url`` is the SMS_URL that reaches it."""

    def __init__(self, provider: str, folder, key_id="fake-key-id", secret="fake-secret"):
        import pathlib
        import socket
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.provider, self.key_id, self.secret = provider, key_id, secret
        self.log = pathlib.Path(folder) / f"sms-{provider}-{self.port}.jsonl"
        self.process = None
        query = "sign=某某政协&http=1" + ("&app=1400000000" if provider == "tencent" else "")
        self.url = f"{provider}://{key_id}:{secret}@127.0.0.1:{self.port}?{query}"

    def start(self):
        import socket
        import subprocess
        import pathlib
        self.process = subprocess.Popen([sys.executable, "-m", "tests.fake_sms", self.provider,
                                         str(self.port), self.key_id, self.secret,
                                         str(self.log)],
                                        cwd=pathlib.Path(__file__).resolve().parents[1])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError("the fake SMS provider did not start")

    def received(self) -> list:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text(encoding="utf-8").splitlines()]

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(10)
