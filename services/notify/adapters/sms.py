"""SMS through the office's provider (docs/notifications.md): Alibaba Cloud SMS and Tencent
Cloud SMS, chosen and configured by SMS_URL. Each request is signed as its provider
documents it (Alibaba's RPC signature, HMAC-SHA1; Tencent's TC3-HMAC-SHA256); the tests
hold both to what the providers' own SDKs compute for the same request. A message is an
approved template's code and its parameters, never free text."""
import base64
import hashlib
import hmac
import json
import time
import uuid
from datetime import datetime, timezone
from urllib.parse import parse_qs, quote, unquote, urlparse

import requests


class Refused(Exception):
    """The provider refused this message for good (a wrong number or template): sending
    it again would be refused again."""


class Busy(Exception):
    """The provider could not take it now (throttled, an error on its side): try later."""


# --- Alibaba Cloud (dysmsapi, RPC style) ------------------------------------------------
def percent(text: str) -> str:
    """RFC 3986 encoding as Alibaba's RPC signature wants it (space as %20, ~ kept)."""
    return quote(text, safe="~", encoding="utf-8")


def aliyun_signature(params: dict, secret: str, method: str = "GET") -> str:
    canonical = "&".join(f"{percent(k)}={percent(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&{percent('/')}&{percent(canonical)}"
    return base64.b64encode(hmac.new(f"{secret}&".encode("utf-8"), to_sign.encode("utf-8"),
                                     hashlib.sha1).digest()).decode("ascii")


class AliyunSms:
    def __init__(self, url, timeout: float):
        self.key_id, self.secret = unquote(url.username or ""), unquote(url.password or "")
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        self.sign_name = query.get("sign", "")
        self.region = query.get("region", "cn-hangzhou")
        self.base = f"{'http' if query.get('http') == '1' else 'https'}://{url.netloc.split('@')[-1]}/"
        self.timeout = timeout

    def request(self, phone: str, template: str, params: dict, nonce=None, at=None) -> dict:
        """The signed query of a SendSms call."""
        query = {"AccessKeyId": self.key_id, "Action": "SendSms", "Format": "JSON",
                 "PhoneNumbers": phone, "RegionId": self.region, "SignName": self.sign_name,
                 "SignatureMethod": "HMAC-SHA1", "SignatureNonce": nonce or uuid.uuid4().hex,
                 "SignatureVersion": "1.0", "TemplateCode": template,
                 "TemplateParam": json.dumps(params, ensure_ascii=False, separators=(",", ":")),
                 "Timestamp": (at or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                 "Version": "2017-05-25"}
        return {**query, "Signature": aliyun_signature(query, self.secret)}

    def send(self, phone: str, template: str, params: dict) -> None:
        try:
            answer = requests.get(self.base, params=self.request(phone, template, params),
                                  timeout=self.timeout)
            body = answer.json()
        except (requests.RequestException, ValueError) as error:
            raise Busy(f"短信服务无应答：{error.__class__.__name__}") from error
        code = body.get("Code")
        if code == "OK":
            return
        if answer.status_code >= 500 or code in ("isv.BUSINESS_LIMIT_CONTROL", "Throttling",
                                                 "ServiceUnavailable", "InternalError"):
            raise Busy(f"短信服务暂不可用：{code}")
        raise Refused(f"短信服务拒绝发送：{code} {body.get('Message', '')}".strip())


# --- Tencent Cloud (sms 2021-01-11, TC3-HMAC-SHA256) -------------------------------------
def tc3_signing_key(secret_key: str, day: str, service: str) -> bytes:
    def mac(key: bytes, text: str) -> bytes:
        return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()
    return mac(mac(mac(f"TC3{secret_key}".encode("utf-8"), day), service), "tc3_request")


def tc3_authorization(secret_id: str, secret_key: str, host: str, payload: bytes,
                      timestamp: int, service: str = "sms") -> str:
    day = datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d")
    canonical = "\n".join(["POST", "/", "", "content-type:application/json; charset=utf-8",
                           f"host:{host}", "", "content-type;host",
                           hashlib.sha256(payload).hexdigest()])
    scope = f"{day}/{service}/tc3_request"
    to_sign = "\n".join(["TC3-HMAC-SHA256", str(timestamp), scope,
                         hashlib.sha256(canonical.encode("utf-8")).hexdigest()])
    signature = hmac.new(tc3_signing_key(secret_key, day, service), to_sign.encode("utf-8"),
                         hashlib.sha256).hexdigest()
    return (f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, "
            f"SignedHeaders=content-type;host, Signature={signature}")


class TencentSms:
    def __init__(self, url, timeout: float):
        self.secret_id, self.secret_key = unquote(url.username or ""), unquote(url.password or "")
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        self.app, self.sign_name = query.get("app", ""), query.get("sign", "")
        self.region = query.get("region", "ap-guangzhou")
        self.host = url.netloc.split("@")[-1]
        self.base = f"{'http' if query.get('http') == '1' else 'https'}://{self.host}/"
        self.timeout = timeout

    def request(self, phone: str, template: str, params: dict, at=None) -> tuple:
        """(headers, body) of a signed SendSms call; parameters in the template's order."""
        body = json.dumps({"PhoneNumberSet": [f"+86{phone}"], "SmsSdkAppId": self.app,
                           "SignName": self.sign_name, "TemplateId": template,
                           "TemplateParamSet": [str(v) for v in params.values()]},
                          ensure_ascii=False).encode("utf-8")
        timestamp = int(at if at is not None else time.time())
        host = self.host
        headers = {"Content-Type": "application/json; charset=utf-8", "Host": host,
                   "X-TC-Action": "SendSms", "X-TC-Version": "2021-01-11",
                   "X-TC-Timestamp": str(timestamp), "X-TC-Region": self.region,
                   "Authorization": tc3_authorization(self.secret_id, self.secret_key, host,
                                                      body, timestamp)}
        return headers, body

    def send(self, phone: str, template: str, params: dict) -> None:
        headers, body = self.request(phone, template, params)
        try:
            answer = requests.post(self.base, data=body, headers=headers, timeout=self.timeout)
            if answer.status_code >= 500:
                raise Busy(f"短信服务暂不可用：HTTP {answer.status_code}")
            reply = answer.json().get("Response", {})
        except (requests.RequestException, ValueError, AttributeError) as error:
            raise Busy(f"短信服务无应答：{error.__class__.__name__}") from error
        error = reply.get("Error")
        if error:
            code = error.get("Code", "")
            if answer.status_code >= 500 or code.startswith(("InternalError", "RequestLimitExceeded",
                                                             "LimitExceeded")):
                raise Busy(f"短信服务暂不可用：{code}")
            raise Refused(f"短信服务拒绝发送：{code} {error.get('Message', '')}".strip())
        status = (reply.get("SendStatusSet") or [{}])[0]
        if status.get("Code") == "Ok":
            return
        code = status.get("Code", "")
        if code.startswith("LimitExceeded"):
            raise Busy(f"短信服务暂不可用：{code}")
        raise Refused(f"短信服务拒绝发送：{code} {status.get('Message', '')}".strip())


def provider(sms_url: str, timeout: float = 10.0):
    url = urlparse(sms_url)
    return {"aliyun": AliyunSms, "tencent": TencentSms}[url.scheme](url, timeout)
