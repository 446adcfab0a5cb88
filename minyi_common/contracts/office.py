"""What the office publishes and asks for (docs/office-voice.md): the year's topics
(年度选题), pieces commissioned from a person or a unit (约稿), and notices with their
files (通知公告)."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from .content import StrictSchema, one_line, plain_text
from .reports import AttachmentSchema

COMMISSION_STATES = ("open", "overdue", "answered")


def _title():
    return fields.String(required=True, validate=[validate.Length(min=4, max=60), one_line])


def _text(max_length: int, required=False):
    rules = [validate.Length(min=1 if required else 0, max=max_length), plain_text]
    if required:
        return fields.String(required=True, validate=rules)
    return fields.String(load_default="", validate=rules)


YEAR = validate.Range(min=2000, max=2100)


class TopicInput(StrictSchema):
    """A topic an editor publishes for a year."""
    year = fields.Integer(required=True, validate=YEAR)
    title = _title()
    description = _text(2000)


class TopicSchema(Schema):
    id = fields.String(required=True)
    year = fields.Integer(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    created_by = fields.String(required=True)
    created_at = fields.AwareDateTime(required=True)
    reports = fields.Integer(required=True, metadata={
        "description": "reports submitted on it (not drafts, not withdrawn)"})


class TopicFilter(Schema):
    """GET /topics?year=: one year's topics, or every year's."""
    year = fields.Integer(load_default=None, allow_none=True, validate=YEAR)


class Topics(Schema):
    items = fields.List(fields.Nested(TopicSchema), required=True)


class CommissionInput(StrictSchema):
    """约稿: a piece asked of one person, or of a unit (its admins see it)."""
    person_id = fields.String(load_default=None, allow_none=True)
    unit_id = fields.String(load_default=None, allow_none=True)
    title = _title()
    note = _text(2000)
    due_on = fields.Date(required=True, metadata={"description": "an office day"})
    topic_id = fields.String(load_default=None, allow_none=True)

    @validates_schema
    def _one_addressee(self, data, **_):
        if bool(data.get("person_id")) == bool(data.get("unit_id")):
            raise ValidationError("Name one person or one unit.", field_name="person_id")


class CommissionSchema(Schema):
    id = fields.String(required=True)
    person_id = fields.String(required=True, allow_none=True)
    person_name = fields.String(required=True, allow_none=True)
    unit_id = fields.String(required=True, allow_none=True)
    unit_name = fields.String(required=True, allow_none=True)
    title = fields.String(required=True)
    note = fields.String(required=True)
    due_on = fields.Date(required=True)
    topic_id = fields.String(required=True, allow_none=True)
    topic_title = fields.String(required=True, allow_none=True)
    created_by = fields.String(required=True)
    created_at = fields.AwareDateTime(required=True)
    state = fields.String(required=True, validate=validate.OneOf(COMMISSION_STATES),
                          metadata={"description": "answered once a report naming it is "
                                                   "submitted and not withdrawn; overdue "
                                                   "when still open after its day"})
    answered_by = fields.String(required=True, allow_none=True, metadata={
        "description": "the first report that answered it"})
    answered_at = fields.AwareDateTime(required=True, allow_none=True)


class Commissions(Schema):
    items = fields.List(fields.Nested(CommissionSchema), required=True)
    total = fields.Integer(required=True)


class NoticeInput(StrictSchema):
    title = _title()
    body = _text(5000, required=True)


class NoticeSchema(Schema):
    id = fields.String(required=True)
    title = fields.String(required=True)
    body = fields.String(required=True)
    created_by = fields.String(required=True)
    created_at = fields.AwareDateTime(required=True)
    files = fields.List(fields.Nested(AttachmentSchema), required=True)
