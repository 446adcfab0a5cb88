"""Notify's contracts: the inbox, preferences, webhooks and their deliveries.
"""
from marshmallow import RAISE, Schema, fields, validate

from ..topology import SUBSCRIPTIONS


class NotificationSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    report_id = fields.String(allow_none=True)
    title = fields.String()
    body = fields.String()
    created_at = fields.AwareDateTime()
    read_at = fields.AwareDateTime(allow_none=True)
    read = fields.Function(lambda n: n["read_at"] is not None)


class Inbox(Schema):
    """A page of one's notices, and how many of all one's notices are unread."""
    items = fields.List(fields.Nested(NotificationSchema), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    page_size = fields.Integer(required=True)
    unread = fields.Integer(required=True, metadata={
        "description": "unread notices in all (the header's badge), whatever the filter"})


class DeliverySchema(Schema):
    id = fields.Integer()
    event_id = fields.String()
    event_type = fields.String()
    channel = fields.String()
    recipient = fields.String()
    target = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    next_attempt_at = fields.AwareDateTime()
    last_error = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    sent_at = fields.AwareDateTime(allow_none=True)


class WebhookSchema(Schema):
    id = fields.String()
    url = fields.String()
    event_types = fields.List(fields.String())
    created_at = fields.AwareDateTime()


class Preferences(Schema):
    email = fields.Boolean(required=True)


# What outside systems may subscribe to: every event notify hears but the directory's
# (which carries people's contact details).
WEBHOOK_EVENT_TYPES = tuple(t for t in SUBSCRIPTIONS["notify"] if not t.startswith("directory."))


class WebhookInput(Schema):
    """What /openapi.json says of a new webhook; notify checks it (and that the address
    is a public one) with the same limits."""
    class Meta:
        unknown = RAISE
    url = fields.Url(required=True, schemes=("http", "https"), validate=validate.Length(max=500))
    event_types = fields.List(fields.String(validate=validate.OneOf(WEBHOOK_EVENT_TYPES)),
                              required=True, validate=validate.Length(min=1))
    secret = fields.String(required=True, validate=validate.Length(min=16, max=200))
