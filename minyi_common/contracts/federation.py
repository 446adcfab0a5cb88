"""Links between Minyi installs (报送 between levels, docs/federation.md): the link an
admin makes, the forward of a piece upward, and the signed messages that travel between
two installs (a piece going up; what became of it coming back down).
"""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from .. import words
from .content import LEVELS, MODES, StrictSchema, one_line, plain_text

DIRECTIONS = tuple(words.LINK_DIRECTIONS)
KEY_ID = validate.Regexp(r"^[A-Za-z0-9._-]{1,64}$",
                         error="ASCII letters, digits, dot, dash or underscore; 1 to 64.")
# A message is at most this large, as JSON: a piece's text is at most 6,000 characters a
# part, well inside it.
MAX_MESSAGE_BYTES = 256 * 1024


class LinkInput(StrictSchema):
    name = fields.String(required=True, validate=[validate.Length(min=2, max=100), one_line],
                         metadata={"description": "the other office, e.g. 某某市政协"})
    url = fields.Url(required=True, schemes={"http", "https"}, require_tld=False,
                     validate=validate.Length(max=300),
                     metadata={"description": "the other install's base URL"})
    level = fields.String(required=True, validate=validate.OneOf(LEVELS))
    direction = fields.String(required=True, validate=validate.OneOf(DIRECTIONS))
    key_id = fields.String(required=True, validate=KEY_ID,
                           metadata={"description": "the same on both sides"})
    secret = fields.String(required=True, load_only=True,
                           validate=validate.Length(min=32, max=200),
                           metadata={"description": "the same on both sides; kept sealed"})
    allow_private = fields.Boolean(load_default=False, metadata={
        "description": "this link may reach a private address (a government intranet)"})


class LinkSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    url = fields.String(required=True)
    level = fields.String(required=True)
    direction = fields.String(required=True)
    key_id = fields.String(required=True)
    allow_private = fields.Boolean(required=True)
    unit_id = fields.String(required=True, allow_none=True, metadata={
        "description": "a lower office's unit: its reports count for it"})
    created_at = fields.AwareDateTime(required=True)
    last_success_at = fields.AwareDateTime(required=True, allow_none=True)
    waiting = fields.Integer(required=True, metadata={"description": "messages to send"})
    parked = fields.Integer(required=True, metadata={
        "description": "messages the other side refused (401, 404, 422): not retried"})
    last_error = fields.String(required=True, allow_none=True)


class Links(Schema):
    items = fields.List(fields.Nested(LinkSchema), required=True)


class ForwardInput(StrictSchema):
    link_id = fields.String(required=True, validate=validate.Length(min=1, max=36))


class ForwardAnswer(Schema):
    piece_id = fields.String(required=True)
    link_id = fields.String(required=True)
    level = fields.String(required=True)
    report_ids = fields.List(fields.String(), required=True, metadata={
        "description": "the source reports, each now forwarded at the link's level"})


class Credit(Schema):
    """An author as the upper office credits them: a name and a unit, as text."""
    name = fields.String(required=True, validate=[validate.Length(min=1, max=100), one_line])
    unit = fields.String(load_default=None, allow_none=True,
                         validate=[validate.Length(max=100), one_line])


def _text(max_length: int):
    return fields.String(required=True, validate=[validate.Length(min=1, max=max_length),
                                                  plain_text])


class _Message(Schema):
    """What every message carries: its id (applied once), the piece it is about, its
    place among that piece's messages, and the office that sends it."""
    id = fields.UUID(required=True)
    piece_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    seq = fields.Integer(required=True, validate=validate.Range(min=1))
    office = fields.String(required=True, validate=[validate.Length(min=1, max=100), one_line])
    level = fields.String(required=True, validate=validate.OneOf(LEVELS))


class PieceMessage(_Message):
    """A piece going up: its text within the piece's limits, no contact details."""
    type = fields.String(required=True, validate=validate.Equal("piece"))
    title = fields.String(required=True, validate=[validate.Length(min=5, max=60), one_line])
    situation = _text(6000)
    analysis = _text(6000)
    suggestions = _text(6000)
    category = fields.String(required=True, validate=validate.OneOf(tuple(words.CATEGORIES)))
    urgent = fields.Boolean(required=True)
    consent_to_publish = fields.Boolean(required=True)
    credited = fields.List(fields.Nested(Credit), required=True,
                           validate=validate.Length(min=1, max=100))


class DecisionMessage(_Message):
    """What the upper office did with a piece, coming back down."""
    type = fields.String(required=True, validate=validate.Equal("decision"))
    decision = fields.String(required=True, validate=validate.OneOf(
        ("adopted", "retained", "rejected", "outcome")))
    mode = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(MODES))
    date = fields.Date(required=True)
    comment = fields.String(load_default=None, allow_none=True,
                            validate=[validate.Length(max=2000), plain_text])
    # As an editor there would record it (the same rules), without its files or id.
    # (by name: review's contracts import this module's Credit)
    outcome = fields.Nested("OutcomeInput", load_default=None, allow_none=True)

    @validates_schema
    def _outcome_with_outcome(self, data, **_):
        if (data.get("decision") == "outcome") != bool(data.get("outcome")):
            raise ValidationError("An outcome message carries its outcome, and only it.",
                                  "outcome")
        if data.get("decision") == "adopted" and not data.get("mode"):
            raise ValidationError("An adoption carries its mode (single or merged).", "mode")


class InboundAnswer(Schema):
    status = fields.String(required=True, metadata={
        "description": "accepted, or duplicate (seen before; nothing changed)"})
