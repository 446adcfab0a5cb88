"""Notify's use cases: turn events into inbox items, emails and webhook calls for the
right people, exactly once per (event, recipient, channel)."""
import json
import logging
import uuid
from datetime import timedelta
from urllib.parse import urlparse

from minyi_common.config import CHANNELS
from minyi_common.contracts import (NotificationSchema, WEBHOOK_EVENT_TYPES, WebhookSchema,
                                    load_page, load_principal, mainland_mobile, require)
from minyi_common.db import DirectoryCopy, handle_each, utcnow
from minyi_common.errors import NotFound, ValidationFailed

from . import delivery, domain, links, templates
from .adapters import addresses, sealing, sms, wecom
from .adapters.orm import people
from .adapters.repository import NotifyRepository

log = logging.getLogger(__name__)


def recipients(repo, event, audience="default") -> list:
    return domain.recipients(event, audience, repo.active_people)


def on_events(db, settings, *events) -> set:
    """Notices, deliveries and link messages for ``events``; which sending loops now
    have work ("deliveries", "links"), so that a burst of submissions, which goes down
    no link, does not wake the link loop for every batch."""
    queued = set()

    def record(*delivery_fields):
        delivery.record(*delivery_fields)
        queued.add("deliveries")

    def apply(uow, event):
        repo = NotifyRepository(uow)
        notices = [("default", *rendered) for rendered in [templates.render(event)] if rendered]
        told = set()  # one notice per person and event: the first that concerns them
        for audience, kind, title, body in notices + templates.staff_notices(event):
            now = utcnow()
            targets = [p for p in recipients(repo, event, audience) if p not in told]
            told.update(targets)
            repo.add_notifications([dict(
                recipient_id=person_id, event_id=event["event_id"], kind=kind,
                report_id=event.get("report_id"), title=title, body=body, created_at=now,
                link=templates.link("", event))  # the web app's page, as a path
                for person_id in targets])
            if settings.smtp_url:
                page = templates.link(settings.web_url, event)
                mail = f"{body}\n\n查看详情：{page}" if page else body
                for person_id, address in repo.emails_for(targets).items():
                    record(repo, event, "email", person_id, address, mail, title)
            if settings.sms_url:
                text = templates.sms_parameters(title)
                since = now - timedelta(days=1)
                for person_id, phone in repo.phones_for(targets).items():
                    # A cap per person and day: one bug cannot send a member a thousand.
                    if repo.sms_since(person_id, since) < settings.sms_daily_limit:
                        record(repo, event, "sms", person_id, phone, text, kind)
            if settings.wecom_url:
                card = json.dumps(wecom.message(title, body, templates.link(
                    settings.web_url, event)), ensure_ascii=False)
                for person_id, user_id in repo.wecom_ids_for(targets).items():
                    record(repo, event, "wecom", person_id, user_id, card, kind)
        if "webhooks" not in uow.memo:  # read once for a batch of events
            uow.memo["webhooks"] = [(hook["id"], hook["url"], set(hook["event_types"]))
                                    for hook in repo.webhooks()]
        for hook_id, url, event_types in uow.memo["webhooks"]:
            if event["event_type"] in event_types:
                record(repo, event, "webhook", hook_id, url, delivery.webhook_body(event))
        if links.queue_for_links(uow, settings, event):
            queued.add("links")
    handle_each(db, "notify", events, apply)
    return queued


def on_piece_events(db, settings, *events) -> None:
    """A piece an editor forwarded goes up its link (nobody here is told)."""
    handle_each(db, "notify", events,
                lambda uow, event: links.queue_for_links(uow, settings, event))


# notify copies people only: it needs no unit's name or kind.
DIRECTORY = DirectoryCopy("notify", people, lambda person: {
    "display_name": person["display_name"], "roles": person["roles"],
    "unit_ids": person["unit_ids"], "email": person.get("email"), "phone": person.get("phone"),
    "wecom_userid": person.get("wecom_userid"), "active": person["active"]})


def on_directory_events(db, settings, *events) -> None:
    """Keep the copy of people; someone notify meets for the first time starts with the
    office's default channels (MINYI_DEFAULT_CHANNELS), when it has set them."""
    def apply(uow, event):
        person_id = event.get("person", {}).get("id")
        new = bool(settings.default_channels) and person_id is not None \
            and not NotifyRepository(uow).knows(person_id)
        DIRECTORY.apply(uow, event)
        repo = NotifyRepository(uow)
        if new and not repo.has_preferences(person_id):
            repo.set_preferences(person_id, {channel: channel in settings.default_channels
                                             for channel in CHANNELS})
    handle_each(db, "notify", events, apply)


# --- the inbox and preferences: each person's own ---------------------------------------
def inbox(db, principal, filters) -> dict:
    """The caller's own notifications, newest first (never anyone else's)."""
    principal = load_principal(principal)
    filters = dict(filters or {})
    paging = load_page(filters)
    unread_only = str(filters.get("unread", "")).lower() in ("1", "true", "yes")
    with db.unit_of_work(read_only=True) as uow:
        total, unread, rows = NotifyRepository(uow).inbox_page(
            principal["id"], unread_only, paging["page"], paging["page_size"])
    return {"items": NotificationSchema(many=True).dump(rows), "total": total,
            "unread": unread, **paging}


def mark_read(db, principal, notification_id) -> dict:
    principal = load_principal(principal)
    try:
        key = int(notification_id)
    except (TypeError, ValueError):
        raise NotFound(f"no notification {notification_id}") from None
    with db.unit_of_work() as uow:
        row = NotifyRepository(uow).mark_read(principal["id"], key)
        if row is None:
            raise NotFound(f"no notification {notification_id}")
        uow.commit()
    return NotificationSchema().dump(row)


def _available(settings) -> dict:
    return {"sms_available": bool(settings.sms_url), "wecom_available": bool(settings.wecom_url)}


def _channels(db, person_id: str, change=None, check=None) -> dict:
    """A person's channels and where they go, changed by ``change`` when given (after
    ``check`` of the person's contact details passes)."""
    with db.unit_of_work(read_only=change is None) as uow:
        repo = NotifyRepository(uow)
        if change is not None:
            check(repo)
            repo.set_preferences(person_id, {**repo.preferences(person_id), **change})
        contact = repo.contact_of(person_id)
        answer = {**repo.preferences(person_id), "phone": contact[0] if contact else None,
                  "wecom_userid": contact[1] if contact else None}
        if change is not None:
            uow.commit()
    return answer


def _checked_change(settings, payload, person_id):
    """The channels a body changes ({email?, sms?, wecom?}: the inbox is always on), and
    the check that the person can be reached on those turned on: SMS only to a mainland
    mobile on record, WeCom only to a member ID on record, each only where the office
    sends it (422 naming the field)."""
    if not isinstance(payload, dict) or not payload:
        raise ValidationFailed("the body must be a JSON object", {"_body": ["Not an object."]})
    errors = {name: ["Unknown field."] for name in set(payload) - set(CHANNELS)}
    errors.update({name: ["Not a valid boolean."] for name in CHANNELS
                   if name in payload and not isinstance(payload[name], bool)})
    if errors:
        raise ValidationFailed("some fields are invalid", errors)

    def check(repo):
        errors = {}
        contact = repo.contact_of(person_id)
        phone, wecom_userid = contact if contact is not None else (None, None)
        if payload.get("sms") is True:
            if not settings.sms_url:
                errors["sms"] = ["This office does not send SMS."]
            elif not mainland_mobile(phone):
                errors["sms"] = ["Record a mainland mobile number first."]
        if payload.get("wecom") is True:
            if not settings.wecom_url:
                errors["wecom"] = ["This office does not send WeCom messages."]
            elif not wecom_userid:
                errors["wecom"] = ["Record a WeCom user ID first."]
        if errors:
            raise ValidationFailed("some fields are invalid", errors)
    return dict(payload), check


def get_preferences(db, settings, principal) -> dict:
    principal = load_principal(principal)
    return {**_channels(db, principal["id"]), **_available(settings)}


def put_preferences(db, settings, principal, payload) -> dict:
    """The person changes their own channels."""
    principal = load_principal(principal)
    change, check = _checked_change(settings, payload, principal["id"])
    return {**_channels(db, principal["id"], change, check), **_available(settings)}


def _known_person(db, person_id) -> str:
    with db.unit_of_work(read_only=True) as uow:
        if not isinstance(person_id, str) or not NotifyRepository(uow).knows(person_id):
            raise NotFound(f"no person {person_id}")
    return person_id


def get_preferences_of(db, settings, principal, person_id) -> dict:
    """A person's channels as an admin sees them."""
    require(load_principal(principal), "manage_directory")
    return {**_channels(db, _known_person(db, person_id)), **_available(settings)}


def put_preferences_of(db, settings, principal, person_id, payload) -> dict:
    """An admin sets a person's channels (an older member who asked the office to): the
    same rules as the person's own change."""
    require(load_principal(principal), "manage_directory")
    change, check = _checked_change(settings, payload, _known_person(db, person_id))
    return {**_channels(db, person_id, change, check), **_available(settings)}


# --- webhooks (admins) -----------------------------------------------------------------
def create_webhook(db, principal, payload, box, allow_private: bool = False) -> dict:
    principal = load_principal(principal)
    require(principal, "manage_notifications")
    if not isinstance(payload, dict):
        raise ValidationFailed("the body must be a JSON object", {"_body": ["Not an object."]})
    errors = {}
    url = payload.get("url")
    parsed = urlparse(url) if isinstance(url, str) else None
    if not parsed or parsed.scheme not in ("http", "https") or not parsed.netloc \
            or len(url) > 500:
        errors["url"] = ["An http(s) URL of at most 500 characters."]
    else:
        try:
            addresses.check(url, allow_private)
        except addresses.Forbidden as refused:
            log.warning("refused a webhook to %s: %s", url, refused)
            errors["url"] = ["The address must be a public one on the internet, not this "
                             "server, a private network or a reserved range."]
    types = payload.get("event_types")
    if not isinstance(types, list) or not types or not all(t in WEBHOOK_EVENT_TYPES for t in types):
        errors["event_types"] = [f"A list from: {', '.join(WEBHOOK_EVENT_TYPES)}."]
    secret = payload.get("secret")
    if not isinstance(secret, str) or not 16 <= len(secret) <= 200:
        errors["secret"] = ["A shared secret of 16 to 200 characters."]
    unknown = set(payload) - {"url", "event_types", "secret"}
    for name in unknown:
        errors[name] = ["Unknown field."]
    if errors:
        raise ValidationFailed("some fields are invalid", errors)
    hook = {"id": str(uuid.uuid4()), "url": url, "event_types": list(dict.fromkeys(types)),
            "secret": secret, "created_by": principal["id"], "created_at": utcnow()}
    with db.unit_of_work() as uow:
        NotifyRepository(uow).add_webhook(dict(hook, secret=box.seal(secret)))
        uow.commit()
    return WebhookSchema().dump(hook)


def list_webhooks(db, principal) -> dict:
    require(load_principal(principal), "manage_notifications")
    with db.unit_of_work(read_only=True) as uow:
        rows = NotifyRepository(uow).webhooks()
    items = WebhookSchema(many=True).dump(rows)
    return {"items": items, "total": len(items), "page": 1, "page_size": len(items)}


def delete_webhook(db, principal, webhook_id) -> dict:
    require(load_principal(principal), "manage_notifications")
    with db.unit_of_work() as uow:
        if not NotifyRepository(uow).forget_webhook(webhook_id):
            raise NotFound(f"no webhook {webhook_id}")
        uow.commit()
    return {"deleted": webhook_id}


def sender(db, settings):
    """The function the delivery loop sends each claimed row with. What it meets is
    raised as ``delivery.Undeliverable`` with a reason an admin can read."""
    from .adapters.senders import SmtpSender, WebhookSender, describe
    smtp = SmtpSender(settings.smtp_url, settings.mail_from) if settings.smtp_url else None
    hooks = WebhookSender()
    allow_private = settings.webhook_allow_private
    box = sealing.box_for(settings)

    def send_email(row):
        if smtp is None:
            raise delivery.Undeliverable("未配置邮件服务器（SMTP_URL），邮件未发送")
        # One Message-ID per (event, recipient): the one email an instance killed
        # between sending and recording sends again (after its lease) is the same
        # message to the recipient's mail store, which shows it once.
        smtp.send(row["target"], row["subject"], row["body"],
                  message_id=f"<{row['event_id']}.{row['recipient']}@minyi>")

    def send_webhook(row):
        with db.unit_of_work() as uow:
            sealed = NotifyRepository(uow).webhook_secret(row["recipient"])
        if sealed is None:
            raise delivery.Undeliverable("该 webhook 已被删除，未发送")
        try:
            secret = box.open(sealed)
        except sealing.Unreadable:
            raise delivery.Undeliverable("无法解开该 webhook 的共享密钥（MINYI_DATA_KEY 已更换"
                                         "或丢失），请删除后重新添加") from None
        # Again now: the name may resolve elsewhere than when the webhook was added; the
        # connection goes to the address checked here.
        try:
            address = addresses.check(row["target"], allow_private)
        except addresses.Forbidden as refused:
            raise delivery.Undeliverable(refused.reason) from refused
        hooks.post(row["target"], row["body"].encode("utf-8"), secret, row["event_id"],
                   row["event_type"], pinned_address=address)

    texts = sms.provider(settings.sms_url) if settings.sms_url else None
    template_codes = json.loads(settings.sms_templates or "{}")

    def send_sms(row):
        if texts is None:
            raise delivery.Undeliverable("未配置短信服务（SMS_URL），短信未发送")
        code = template_codes.get(row["subject"]) or template_codes.get("*")
        if not code:
            raise delivery.Undeliverable(f"SMS_TEMPLATES 中没有“{row['subject']}”类通知的短信模板")
        try:
            texts.send(row["target"], code, json.loads(row["body"]))
        except (sms.Refused, sms.Busy) as problem:  # both retried; the reason shown to admins
            raise delivery.Undeliverable(str(problem)) from problem

    app = wecom.WeComApp(settings.wecom_url) if settings.wecom_url else None

    def send_wecom(row):
        if app is None:
            raise delivery.Undeliverable("未配置企业微信（WECOM_URL），消息未发送")
        try:
            app.send(row["target"], json.loads(row["body"]))
        except (sms.Refused, sms.Busy) as problem:
            raise delivery.Undeliverable(str(problem)) from problem

    channels = {"email": send_email, "webhook": send_webhook, "sms": send_sms,
                "wecom": send_wecom}

    def send(row):
        try:
            channels[row["channel"]](row)
        except delivery.Undeliverable:
            raise
        except Exception as exc:
            raise delivery.Undeliverable(describe(exc)) from exc
    return send


def seal_stored_secrets(db, box) -> int:
    """Encrypt the secrets of webhooks added before secrets were sealed (run at start)."""
    with db.unit_of_work() as uow:
        repo = NotifyRepository(uow)
        plain = [hook for hook in repo.webhooks() if not sealing.is_sealed(hook["secret"])]
        for hook in plain:
            repo.replace_secret(hook["id"], hook["secret"], box.seal(hook["secret"]))
        uow.commit()
    return len(plain)
