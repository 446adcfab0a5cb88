"""Notify's contracts: the inbox, preferences, webhooks and their deliveries.
"""
from marshmallow import RAISE, Schema, fields, validate

from ..topology import SUBSCRIPTIONS


class NotificationSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True)
    report_id = fields.String(required=True, allow_none=True)
    link = fields.String(required=True, allow_none=True, metadata={
        "description": "the web app's page it is about, as a path (/notices/…)"})
    title = fields.String(required=True)
    body = fields.String(required=True)
    created_at = fields.AwareDateTime(required=True)
    read_at = fields.AwareDateTime(required=True, allow_none=True)
    read = fields.Function(lambda n: n["read_at"] is not None, required=True)


class Inbox(Schema):
    """A page of one's notices, and how many of all one's notices are unread."""
    items = fields.List(fields.Nested(NotificationSchema), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    page_size = fields.Integer(required=True)
    unread = fields.Integer(required=True, metadata={
        "description": "unread notices in all (the header's badge), whatever the filter"})


class DeliverySchema(Schema):
    id = fields.Integer(required=True)
    event_id = fields.String(required=True)
    event_type = fields.String(required=True)
    channel = fields.String(required=True)
    recipient = fields.String(required=True)
    target = fields.String(required=True)
    status = fields.String(required=True)
    attempts = fields.Integer(required=True)
    next_attempt_at = fields.AwareDateTime(required=True)
    last_error = fields.String(required=True, allow_none=True)
    created_at = fields.AwareDateTime(required=True)
    sent_at = fields.AwareDateTime(required=True, allow_none=True)


class WebhookSchema(Schema):
    id = fields.String(required=True)
    url = fields.String(required=True)
    event_types = fields.List(fields.String(), required=True)
    created_at = fields.AwareDateTime(required=True)


class PreferencesInput(Schema):
    """The channels to change (the inbox is always on); those left out stay."""
    email = fields.Boolean()
    sms = fields.Boolean()
    wecom = fields.Boolean()


class Preferences(Schema):
    email = fields.Boolean(required=True)
    sms = fields.Boolean(required=True, metadata={
        "description": "短信: only with a mainland mobile on record and SMS_URL set"})
    wecom = fields.Boolean(required=True, metadata={
        "description": "企业微信: only with a WeCom user ID on record and WECOM_URL set"})
    sms_available = fields.Boolean(required=True, metadata={
        "description": "whether this office sends SMS (SMS_URL is set)"})
    wecom_available = fields.Boolean(required=True, metadata={
        "description": "whether this office sends WeCom messages (WECOM_URL is set)"})
    phone = fields.String(required=True, allow_none=True, metadata={
        "description": "the mobile SMS go to, as on record"})
    wecom_userid = fields.String(required=True, allow_none=True, metadata={
        "description": "the WeCom user ID messages go to, as on record"})


# What outside systems may subscribe to: every event notify hears but the directory's
# (which carries people's contact details).
# What an outside system may subscribe to: notify's events but the directory's and the
# links' own (a forwarded piece travels to the upper office by its link, not a webhook).
WEBHOOK_EVENT_TYPES = tuple(t for t in SUBSCRIPTIONS["notify"]
                            if not t.startswith("directory.") and t != "piece_forwarded")


class WebhookInput(Schema):
    """What /openapi.json says of a new webhook; notify checks it (and that the address
    is a public one) with the same limits."""
    class Meta:
        unknown = RAISE
    url = fields.Url(required=True, schemes=("http", "https"), validate=validate.Length(max=500))
    event_types = fields.List(fields.String(validate=validate.OneOf(WEBHOOK_EVENT_TYPES)),
                              required=True, validate=validate.Length(min=1))
    secret = fields.String(required=True, validate=validate.Length(min=16, max=200))
