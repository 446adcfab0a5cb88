"""The directory's contracts (kept by the gateway): people, units, passwords and the
roster import.
"""
from marshmallow import RAISE, Schema, fields, validate

from .content import ROLES, UNIT_KINDS, one_line, plain_text


class UnitInput(Schema):
    class Meta:
        unknown = RAISE
    name = fields.String(required=True, validate=[validate.Length(min=1, max=100), one_line])
    kind = fields.String(required=True, validate=validate.OneOf(UNIT_KINDS))


USERNAME_RULE = "Letters, digits, _ . @ - only."
# A member's UserID in WeCom: 1 to 64 of these, starting with a letter or a digit.
WECOM_USERID_RULE = "A WeCom user ID: letters, digits, _ . @ - only, starting with a letter or digit."
wecom_userid_field = dict(load_default=None, allow_none=True, validate=[
    validate.Length(min=1, max=64), validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$",
                                                    error=WECOM_USERID_RULE)],
    metadata={"description": "their member ID (UserID) in the office's WeCom (企业微信)"})


class UserInput(Schema):
    class Meta:
        unknown = RAISE
    username = fields.String(required=True, validate=[
        validate.Length(min=2, max=64), validate.Regexp(r"^[A-Za-z0-9_.@-]+$",
                                                        error=USERNAME_RULE)])
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=8,
                                                                                      max=200))
    display_name = fields.String(required=True, validate=[validate.Length(min=1, max=100),
                                                          one_line])
    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)), required=True,
                        validate=validate.Length(min=1))
    unit_ids = fields.List(fields.String(), load_default=list)
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=254))
    phone = fields.String(load_default=None, allow_none=True,
                          validate=[validate.Length(max=32), one_line])
    wecom_userid = fields.String(**wecom_userid_field)
    active = fields.Boolean(load_default=True)
    is_standing = fields.Boolean(load_default=False, metadata={"description": "常委"})
    term = fields.String(load_default=None, allow_none=True,
                         validate=[validate.Length(max=20), plain_text],
                         metadata={"description": "届次, e.g. 十五届"})


class ImportProblem(Schema):
    row = fields.Integer(required=True, metadata={"description": "the spreadsheet's row number"})
    column = fields.String(required=True)
    message = fields.String(required=True)


class IssuedPassword(Schema):
    row = fields.Integer(required=True)
    username = fields.String(required=True)
    display_name = fields.String(required=True)
    one_time_password = fields.String(required=True)


class RosterImport(Schema):
    """What a roster import did or, as a dry run, would do (docs/office.md)."""
    rows = fields.Integer(required=True)
    created = fields.Integer(required=True)
    updated = fields.Integer(required=True)
    unchanged = fields.Integer(required=True)
    new_units = fields.List(fields.String(), required=True)
    errors = fields.List(fields.Nested(ImportProblem), required=True)
    dry_run = fields.Boolean(required=True)
    applied = fields.Boolean(required=True)
    passwords = fields.List(fields.Nested(IssuedPassword), metadata={
        "description": "new accounts' one-time passwords: shown once, never again"})


class BacklogImport(Schema):
    """What an import of past reports did or, as a dry run, would do (docs/reports.md)."""
    rows = fields.Integer(required=True)
    created = fields.Integer(required=True)
    unchanged = fields.Integer(required=True)
    errors = fields.List(fields.Nested(ImportProblem), required=True)
    dry_run = fields.Boolean(required=True)
    applied = fields.Boolean(required=True)


class PasswordChange(Schema):
    class Meta:
        unknown = RAISE
    current_password = fields.String(required=True, load_only=True)
    new_password = fields.String(required=True, load_only=True,
                                 validate=validate.Length(max=200))


class PasswordChanged(Schema):
    changed = fields.Boolean(required=True)
    access_token = fields.String(metadata={"description": "a new token when the change was "
                                                          "made with one (the old one ends)"})


class PasswordReset(Schema):
    one_time_password = fields.String(required=True, metadata={
        "description": "shown once: the person must choose a new password at next login"})


class UserOutput(Schema):
    id = fields.String(required=True)
    username = fields.String(required=True)
    display_name = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)
    unit_ids = fields.List(fields.String(), required=True)
    email = fields.String(required=True, allow_none=True)
    phone = fields.String(required=True, allow_none=True)
    wecom_userid = fields.String(required=True, allow_none=True)
    active = fields.Boolean(required=True)
    is_standing = fields.Boolean(required=True)
    term = fields.String(required=True, allow_none=True)
    must_change_password = fields.Boolean(required=True)
    created_at = fields.AwareDateTime(required=True)


class UnitOutput(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(UNIT_KINDS))


class PersonHit(Schema):
    """A person as another author may see them when naming co-authors: name and units,
    never contact details."""
    id = fields.String(required=True)
    display_name = fields.String(required=True)
    unit_ids = fields.List(fields.String(), required=True)
    unit_names = fields.List(fields.String(), required=True, metadata={
        "description": "the names of unit_ids, in the same order"})
