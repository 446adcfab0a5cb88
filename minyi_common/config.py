"""Settings from the environment (docs/operations.md), one place for every process."""
import json
import os
import re
from dataclasses import dataclass, field

SERVICES = ("intake", "review", "scoring", "notify", "gateway")
LEVELS = ("county", "city", "province", "national")
# The channels a notice may take besides the inbox (docs/notifications.md).
CHANNELS = ("email", "sms", "wecom")


def data_dir() -> str:
    return os.path.abspath(os.environ.get("MINYI_DATA_DIR", "./var"))


def db_url(service: str) -> str:
    explicit = os.environ.get(f"{service.upper()}_DB_URL")
    if explicit:
        return explicit
    return f"sqlite:///{os.path.join(data_dir(), service + '.db')}"


def _floats(text: str) -> tuple:
    return tuple(float(part) for part in text.split(",") if part.strip())


@dataclass(frozen=True)
class Settings:
    service: str
    amqp_uri: str
    db_url: str
    namespace: str
    level: str
    rpc_timeout: float
    retry_delays: tuple = field(default=(1.0, 5.0, 30.0))
    max_attempts: int = 5
    outbox_poll_interval: float = 1.0
    # Most events a consumer applies in one transaction (a burst's events, one commit).
    event_batch: int = 50
    # How long the relay holds the rows it claimed: events a killed process had claimed
    # and not marked go out this long after (a duplicate, never a loss).
    outbox_lease: float = 10.0
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8000
    secret_key: str | None = None
    office_name: str = "政协委员会办公室"
    smtp_url: str | None = None
    # SMS through the office's provider (docs/notifications.md): aliyun://… or tencent://…,
    # the provider's approved template code per kind of notice (JSON, "*" for the rest),
    # and how many SMS one person may get in a day.
    sms_url: str | None = None
    sms_templates: str = "{}"
    sms_daily_limit: int = 5
    # WeCom (企业微信) app messages: wecom://CORP_ID:SECRET@qyapi.weixin.qq.com?agent=…
    wecom_url: str | None = None
    # The channels a person new to notify starts with, besides the inbox (which is always
    # on); empty: email on, SMS and WeCom off until the person chooses them.
    default_channels: tuple = ()
    mail_from: str = "minyi@localhost"
    delivery_base_delay: float = 2.0
    # Seconds one email or webhook send may take in all; with a 10 s margin it is also
    # how long a delivery held by a killed instance waits (notify's lease).
    delivery_deadline: float = 10.0
    delivery_max_attempts: int = 6
    # Webhooks may point at loopback, private and reserved addresses (tests, a closed
    # network); off by default: an admin's URL must not reach the deployment's own network.
    webhook_allow_private: bool = False
    token_lifetime: int = 8 * 3600
    public_url: str = ""
    # How long a starting service waits for a broker that is away (a restart of it):
    # 0 fails at once with one line, as a first start with no broker should.
    broker_wait: float = 0.0
    # When set, /metrics answers only with ``Authorization: Bearer <this token>``.
    metrics_token: str | None = None
    # Reverse proxies in front of the gateway whose X-Forwarded-For entries are believed
    # (0: none; the client is the connection's peer). Login limits count by client.
    trusted_proxies: int = 0
    # Encrypt what notify keeps secret (webhook secrets): the first key encrypts, every
    # one decrypts (rotation). Empty: a key made on first start in the data directory.
    data_keys: tuple = ()
    # Where uploaded files are kept: s3://bucket[/prefix]?endpoint=… for an object store,
    # empty for the folder "files" in the data directory.
    blob_url: str = ""

    @property
    def web_url(self) -> str:
        """Where people reach the web app (MINYI_PUBLIC_URL), without a trailing slash."""
        return (self.public_url or f"http://{self.gateway_host}:{self.gateway_port}").rstrip("/")

    def nameko_config(self) -> dict:
        """The config dict a nameko container of this service runs with."""
        return {
            "AMQP_URI": self.amqp_uri,
            "DB_URL": self.db_url,
            # nameko's RPC exchange, namespaced like our event exchange. (nameko names
            # the RPC queues by service alone, rpc-intake: two deployments on one vhost
            # would share them, so each needs a vhost of its own.)
            "rpc_exchange": f"{self.namespace}.rpc",
            "WEB_SERVER_ADDRESS": f"{self.gateway_host}:{self.gateway_port}",
            # Workers are green threads, one per request or message. The gateway's mostly
            # wait (on a service, on a password hash in the thread pool): a few slow
            # requests (a login flood) must not leave a health check or a submit waiting
            # for a free worker. A service's count is also its prefetch from each queue.
            "max_workers": 64 if self.service == "gateway" else 10,
            "MINYI": self,
        }


def load(service: str) -> Settings:
    env = os.environ
    level = env.get("MINYI_LEVEL", "county")
    if env.get("MINYI_SECRET_KEY") and len(env["MINYI_SECRET_KEY"].encode("utf-8")) < 32:
        # It signs every access token: a short one can be guessed offline.
        raise SystemExit("MINYI_SECRET_KEY must be at least 32 bytes (e.g. the output of "
                         "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`)")
    data_keys = tuple(k.strip() for k in env.get("MINYI_DATA_KEY", "").split(",") if k.strip())
    if any(len(k.encode("utf-8")) < 32 for k in data_keys):
        raise SystemExit("each key of MINYI_DATA_KEY must be at least 32 bytes (e.g. the output "
                         "of `python -c 'import secrets; print(secrets.token_hex(32))'`)")
    if level not in LEVELS:
        raise SystemExit(f"MINYI_LEVEL must be one of {', '.join(LEVELS)}, not {level!r}")
    sms_url = env.get("SMS_URL") or None
    if sms_url and sms_url.split("://", 1)[0] not in ("aliyun", "tencent"):
        raise SystemExit("SMS_URL must be aliyun://KEY_ID:SECRET@dysmsapi.aliyuncs.com?sign=… "
                         "or tencent://SECRET_ID:SECRET_KEY@sms.tencentcloudapi.com?app=…&sign=…")
    try:
        if not isinstance(json.loads(env.get("SMS_TEMPLATES") or "{}"), dict):
            raise ValueError
    except ValueError:
        raise SystemExit('SMS_TEMPLATES must be a JSON object, e.g. {"*": "SMS_123456"}') from None
    wecom_url = env.get("WECOM_URL") or None
    if wecom_url and not re.match(r"^wecom://[^:@/]+:[^@/]+@[^/?]+\?(.*&)?agent=\d+", wecom_url):
        raise SystemExit("WECOM_URL must be wecom://CORP_ID:SECRET@qyapi.weixin.qq.com?agent=AGENT_ID")
    default_channels = tuple(c.strip() for c in env.get("MINYI_DEFAULT_CHANNELS", "").split(",")
                             if c.strip())
    if any(c not in CHANNELS for c in default_channels):
        raise SystemExit(f"MINYI_DEFAULT_CHANNELS lists channels from {', '.join(CHANNELS)} "
                         f"(e.g. sms or email,wecom), not {env['MINYI_DEFAULT_CHANNELS']!r}")
    return Settings(
        service=service,
        amqp_uri=env.get("AMQP_URI", "amqp://guest:guest@localhost:5672/"),
        db_url=db_url(service),
        namespace=env.get("MINYI_NAMESPACE", "minyi"),
        level=level,
        rpc_timeout=float(env.get("MINYI_RPC_TIMEOUT", "10")),
        retry_delays=_floats(env.get("MINYI_RETRY_DELAYS", "1,5,30")),
        max_attempts=int(env.get("MINYI_MAX_ATTEMPTS", "5")),
        outbox_poll_interval=float(env.get("MINYI_OUTBOX_POLL", "1.0")),
        event_batch=max(1, int(env.get("MINYI_EVENT_BATCH", "50"))),
        outbox_lease=float(env.get("MINYI_OUTBOX_LEASE", "10")),
        gateway_host=env.get("GATEWAY_HOST", "127.0.0.1"),
        gateway_port=int(env.get("GATEWAY_PORT", "8000")),
        secret_key=env.get("MINYI_SECRET_KEY") or None,
        office_name=env.get("MINYI_OFFICE_NAME", "政协委员会办公室"),
        smtp_url=env.get("SMTP_URL") or None,
        sms_url=sms_url,
        sms_templates=env.get("SMS_TEMPLATES") or "{}",
        sms_daily_limit=int(env.get("MINYI_SMS_DAILY_LIMIT") or 5),
        wecom_url=wecom_url,
        default_channels=default_channels,
        mail_from=env.get("MINYI_MAIL_FROM", "minyi@localhost"),
        delivery_base_delay=float(env.get("MINYI_DELIVERY_BASE_DELAY", "2")),
        delivery_deadline=float(env.get("MINYI_DELIVERY_DEADLINE", "10")),
        delivery_max_attempts=int(env.get("MINYI_DELIVERY_MAX_ATTEMPTS", "6")),
        webhook_allow_private=env.get("MINYI_WEBHOOK_ALLOW_PRIVATE", "").lower()
        in ("1", "true", "yes"),
        token_lifetime=int(env.get("MINYI_TOKEN_LIFETIME", str(8 * 3600))),
        public_url=env.get("MINYI_PUBLIC_URL", ""),
        broker_wait=float(env.get("MINYI_BROKER_WAIT", "0")),
        metrics_token=env.get("MINYI_METRICS_TOKEN") or None,
        trusted_proxies=int(env.get("MINYI_TRUSTED_PROXIES", "0")),
        data_keys=data_keys,
        blob_url=env.get("MINYI_BLOB_URL", ""),
    )
