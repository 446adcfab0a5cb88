"""Shared RPC contracts: the principal every call carries, and the report input that
the gateway accepts and intake validates (SPEC §5)."""
import functools
import re

from marshmallow import (EXCLUDE, RAISE, Schema, ValidationError, fields, validate, validates,
                         validates_schema)

from . import principals
from .errors import Forbidden, ValidationFailed

ROLES = ("member", "officer", "unit_admin", "editor", "admin")
UNIT_KINDS = ("party", "committee", "town_office", "sector", "direct_point", "other")
CATEGORIES = {
    "economy": "经济发展", "rural": "乡村振兴", "urban": "城乡建设",
    "culture_tourism": "文化旅游", "ecology": "生态环境", "education": "教育",
    "employment": "就业", "social_security": "社会保障", "health": "医疗卫生",
    "safety": "公共安全", "governance": "社会治理", "other": "其他",
}
REPORT_STATUSES = ("draft", "submitted", "returned", "resubmitted", "adopted", "retained",
                   "rejected", "withdrawn")

# Any C0/C1 control character except tab and newline (SPEC §5: plain text).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def plain_text(value: str) -> None:
    if _CONTROL.search(value):
        raise ValidationError("Control characters other than newline and tab are not allowed.")


def one_line(value: str) -> None:
    """Titles and names: one line (a newline in a title would break every email subject
    about the report), no control characters at all."""
    if "\n" in value or "\r" in value or "\t" in value:
        raise ValidationError("One line, without line breaks or tabs.")
    plain_text(value)


class PrincipalSchema(Schema):
    """Who is acting. The gateway builds it from the verified token; services check it."""

    class Meta:
        unknown = EXCLUDE

    id = fields.String(required=True)
    username = fields.String(load_default=None, allow_none=True)
    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)), required=True)
    unit_ids = fields.List(fields.String(), load_default=list)
    # The gateway's seal (minyi_common.principals), kept so that a handler passing the
    # principal on to another handler passes it still sealed.
    expires = fields.Integer(load_default=None, allow_none=True)
    signature = fields.String(load_default=None, allow_none=True)


@functools.lru_cache(maxsize=None)
def reusable(schema_class, **options) -> Schema:
    """One instance per schema and options, made once: building a schema costs more than
    most loads and dumps with it (a tenth of a submit's time was spent there), and an
    instance keeps no state between calls."""
    return schema_class(**options)


def load_principal(data) -> dict:
    principals.check(data)  # signed by the gateway, when the deployment has the key
    try:
        return reusable(PrincipalSchema).load(data or {})
    except ValidationError as exc:
        raise Forbidden("no valid principal on this call", exc.messages) from None


def has_role(principal: dict, *roles) -> bool:
    return bool(set(principal["roles"]) & set(roles))


def require_role(principal: dict, *roles) -> None:
    if not has_role(principal, *roles):
        raise Forbidden(f"this needs one of the roles: {', '.join(roles)}")


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
    category = fields.String(required=True, validate=validate.OneOf(tuple(CATEGORIES)))
    unit_id = fields.String(load_default=None, allow_none=True)
    co_author_ids = fields.List(fields.String(), load_default=list,
                                validate=validate.Length(max=10))
    consent_to_publish = fields.Boolean(load_default=True)
    urgent = fields.Boolean(load_default=False, metadata={
        "description": "苗头性、预警性: first in the review queue, editors told at once"})
    draft = fields.Boolean(load_default=False)

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
