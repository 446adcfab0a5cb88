"""Hand-offs (转办): a report handed to a town office or a government department with a
due date, the unit's reply (办复) and the author's rating of it (docs/handoffs.md).
"""
from datetime import timedelta

from marshmallow import Schema, ValidationError, fields, validate, validates

from .. import officetime, words
from .content import StrictSchema, comment_field, plain_text
from .reports import AttachmentSchema

RESOLUTIONS = tuple(words.RESOLUTIONS)
RATINGS = tuple(words.RATINGS)
# A due date further out than this is a typing mistake, not a plan.
LONGEST_DUE = timedelta(days=366)


class HandoffInput(StrictSchema):
    """POST /review/{id}/handoffs, and the ``handoff`` of a rejection as a local matter."""
    unit_id = fields.String(required=True, validate=validate.Length(min=1, max=36), metadata={
        "description": "a town_office or department unit"})
    due_on = fields.Date(required=True, metadata={"description": "office day the reply is "
                                                                 "due, today or later"})
    note = fields.String(load_default=None, allow_none=True,
                         validate=[validate.Length(max=500), plain_text])

    @validates("due_on")
    def _not_past(self, value, **_):
        today = officetime.today()
        if value < today:
            raise ValidationError("The due date cannot be in the past.")
        if value > today + LONGEST_DUE:
            raise ValidationError("The due date is more than a year away.")


class HandoffReplyInput(StrictSchema):
    text = fields.String(required=True, validate=[validate.Length(min=1, max=3000), plain_text])
    resolution = fields.String(required=True, validate=validate.OneOf(RESOLUTIONS))


class HandoffRatingInput(StrictSchema):
    rating = fields.String(required=True, validate=validate.OneOf(RATINGS))
    comment = comment_field(False)


class HandoffListFilters(StrictSchema):
    """GET /handoffs: a unit admin sees their units' hand-offs, editors every one."""
    overdue = fields.Boolean(load_default=False)
    open = fields.Boolean(load_default=False, metadata={"description": "not replied yet"})
    unit_id = fields.String(load_default=None)
    report_id = fields.String(load_default=None)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class HandoffReply(Schema):
    text = fields.String(required=True)
    resolution = fields.String(required=True)
    by = fields.String(required=True)
    at = fields.AwareDateTime(required=True)


class HandoffRating(Schema):
    rating = fields.String(required=True)
    comment = fields.String(required=True, allow_none=True)
    by = fields.String(required=True)
    at = fields.AwareDateTime(required=True)


class HandoffReport(Schema):
    """What the receiving unit reads of the report: the text as the office edited it,
    without the author's contact details."""
    title = fields.String(required=True)
    situation = fields.String(required=True)
    analysis = fields.String(required=True)
    suggestions = fields.String(required=True)
    category = fields.String(required=True)
    status = fields.String(required=True)


class HandoffOnCase(Schema):
    """A hand-off as the report's own pages show it (the report is around it)."""
    id = fields.String(required=True)
    report_id = fields.String(required=True)
    unit_id = fields.String(required=True)
    unit_name = fields.String(required=True)
    due_on = fields.Date(required=True)
    note = fields.String(required=True, allow_none=True)
    created_by = fields.String(required=True)
    created_at = fields.AwareDateTime(required=True)
    overdue = fields.Boolean(required=True, metadata={
        "description": "past its due date (office time) without a reply"})
    reply = fields.Nested(HandoffReply, required=True, allow_none=True)
    rating = fields.Nested(HandoffRating, required=True, allow_none=True)
    files = fields.List(fields.Nested(AttachmentSchema), required=True,
                        metadata={"description": "files on the reply"})


class HandoffSchema(HandoffOnCase):
    """A hand-off as the receiving unit's list shows it, with the report it reads."""
    report = fields.Nested(HandoffReport, required=True)


class Handoffs(Schema):
    items = fields.List(fields.Nested(HandoffSchema), required=True)
