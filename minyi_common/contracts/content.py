"""The content rules every boundary shares: roles, unit kinds, categories and
statuses, plain-text and one-line fields, the report a member writes, paging, and how a
body is loaded against its contract (a ValidationFailed naming each bad field).
"""
import functools
import re

from marshmallow import (RAISE, Schema, ValidationError, fields, validate, validates,
                         validates_schema)

from .. import words
from ..errors import ValidationFailed


# The codes each field takes: the keys of the dictionary of words (what people read).
ROLES = tuple(words.ROLES)
UNIT_KINDS = tuple(words.UNIT_KINDS)
REPORT_STATUSES = tuple(words.STATUSES)
CATEGORIES = tuple(words.CATEGORIES)
REJECT_REASONS = tuple(words.REJECT_REASONS)
LEVELS = tuple(words.LEVELS)
MODES = tuple(words.MODES)
OUTCOME_KINDS = tuple(words.OUTCOMES)


# Any C0/C1 control character except tab and newline (plain text: docs/reports.md).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def mainland_mobile(phone) -> str | None:
    """The 11 digits of a mainland mobile (spaces, dashes and a leading +86 taken off), or
    None: the number SMS and sign-in codes go to, and what makes two accounts' phones
    the same."""
    if not isinstance(phone, str):
        return None
    digits = re.sub(r"[\s-]", "", phone)
    digits = digits[3:] if digits.startswith("+86") else digits
    return digits if re.fullmatch(r"1[3-9]\d{9}", digits) else None


def plain_text(value: str) -> None:
    if _CONTROL.search(value):
        raise ValidationError("Control characters other than newline and tab are not allowed.")


def one_line(value: str) -> None:
    """Titles and names: one line (a newline in a title would break every email subject
    about the report), no control characters at all."""
    if "\n" in value or "\r" in value or "\t" in value:
        raise ValidationError("One line, without line breaks or tabs.")
    plain_text(value)


@functools.lru_cache(maxsize=None)
def reusable(schema_class, **options) -> Schema:
    """One instance per schema and options, made once: building a schema costs more than
    most loads and dumps with it (a tenth of a submit's time was spent there), and an
    instance keeps no state between calls."""
    return schema_class(**options)


def _text(max_length: int):
    return fields.String(required=True, validate=[validate.Length(min=1, max=max_length),
                                                  plain_text])


class ReportInputSchema(Schema):
    """A report as a member or officer writes it (POST/PUT /reports)."""

    class Meta:
        unknown = RAISE

    title = fields.String(required=True, validate=[validate.Length(min=5, max=60), one_line])
    situation = _text(1500)
    analysis = _text(1500)
    suggestions = _text(1500)
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    unit_id = fields.String(load_default=None, allow_none=True)
    co_author_ids = fields.List(fields.String(), load_default=list,
                                validate=validate.Length(max=10))
    consent_to_publish = fields.Boolean(load_default=True)
    urgent = fields.Boolean(load_default=False, metadata={
        "description": "苗头性、预警性: first in the review queue, editors told at once"})
    draft = fields.Boolean(load_default=False)
    # 代录: an office enters a report handed in on paper or as a file, for its author.
    on_behalf_of = fields.String(load_default=None, allow_none=True, metadata={
        "description": "代录: the author of record, when an editor, an admin or a unit "
                       "admin enters a report for them (docs/reports.md)"})
    received_on = fields.Date(load_default=None, allow_none=True, metadata={
        "description": "代录: the office day it was handed in (default today); it counts "
                       "in that day's period"})

    topic_id = fields.String(load_default=None, allow_none=True, metadata={
        "description": "年度选题: a topic of the year the report counts in"})
    commission_id = fields.String(load_default=None, allow_none=True, metadata={
        "description": "约稿: the commission it answers (to its author, or their unit)"})

    @validates("co_author_ids")
    def _no_duplicates(self, value, **_):
        if len(set(value)) != len(value):
            raise ValidationError("Co-authors must not repeat.")

    @validates_schema(skip_on_field_errors=True)
    def _long_enough(self, data, **_):
        total = sum(len(data[f]) for f in ("situation", "analysis", "suggestions"))
        if total < 100:
            raise ValidationError(
                f"Situation, analysis and suggestions together need at least 100 characters "
                f"(now {total}).", field_name="suggestions")


def load_contract(schema, data, partial=False) -> dict:
    """Load a body with a contract schema (class or instance); a ValidationFailed naming
    each bad field, or the body itself when it is not a JSON object."""
    if not isinstance(data, dict):
        raise ValidationFailed("the body must be a JSON object", {"_body": ["Not an object."]})
    if isinstance(schema, type):
        schema = reusable(schema)
    try:
        return schema.load(data, partial=partial)
    except ValidationError as exc:
        raise ValidationFailed("some fields are invalid", exc.messages) from None


def load_report_input(data, partial=False) -> dict:
    return load_contract(ReportInputSchema, data, partial)


class PageSchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=200))


def load_page(data) -> dict:
    try:
        return reusable(PageSchema).load({k: v for k, v in (data or {}).items()
                                          if k in ("page", "page_size")})
    except ValidationError as exc:
        raise ValidationFailed("invalid paging", exc.messages) from None


def comment_field(required: bool):
    rules = [validate.Length(min=1 if required else 0, max=2000), plain_text]
    if required:
        return fields.String(required=True, validate=rules)
    return fields.String(load_default=None, allow_none=True, validate=rules)


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE
