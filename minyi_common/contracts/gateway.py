"""Bodies of the gateway's own routes: sign-in, the session, health.
"""
from marshmallow import Schema, fields

from .directory import UnitOutput, UserOutput


# --- answers and small bodies the gateway documents -------------------------------------
class LoginInput(Schema):
    """A username and password, or (短信验证码登录) a mobile and the code sent to it."""
    username = fields.String()
    password = fields.String(load_only=True)
    phone = fields.String(metadata={"description": "with code: sign in by SMS code"})
    code = fields.String(load_only=True, metadata={"description": "the 6 digits sent"})
    session = fields.Boolean(load_default=False, metadata={
        "description": "true: a browser session in an HttpOnly cookie, no token answered"})


class LoginAnswer(Schema):
    access_token = fields.String(metadata={"description": "absent for a browser session"})
    token_type = fields.String(required=True)
    expires_in = fields.Integer(required=True)
    user = fields.Nested(UserOutput, required=True)


class MeAnswer(Schema):
    id = fields.String(required=True)
    username = fields.String(required=True)
    display_name = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)
    unit_ids = fields.List(fields.String(), required=True)
    must_change_password = fields.Boolean(required=True, metadata={
        "description": "true after an admin's reset: every other call answers 403 "
                       "password_change_required until POST /me/password"})


class SessionAnswer(Schema):
    user = fields.Nested(MeAnswer, allow_none=True, required=True)
    sms_login = fields.Boolean(required=True, metadata={
        "description": "whether this office signs in by SMS code (it sends SMS)"})
    units = fields.List(fields.Nested(UnitOutput), metadata={
        "description": "every unit, for someone signed in and not waiting to change a reset "
                       "password: the web app names units with them without asking again"})


class SmsCodeInput(Schema):
    phone = fields.String(required=True, metadata={"description": "a mainland mobile"})


class SmsCodeAnswer(Schema):
    accepted = fields.Boolean(required=True, metadata={
        "description": "always true: whether the number is known is not told"})


class LoggedOut(Schema):
    ended = fields.Boolean(required=True, metadata={"description": "whether a session was ended"})


class Health(Schema):
    status = fields.String(required=True)
    version = fields.String(required=True, metadata={"description": "the release, 0.9.0"})


class Readiness(Schema):
    status = fields.String(required=True)
    checks = fields.Dict(keys=fields.String(), values=fields.String(), required=True)


class Deleted(Schema):
    deleted = fields.String(required=True)


class AuditEntry(Schema):
    id = fields.Integer(required=True)
    at = fields.String(required=True, metadata={"description": "when, ISO 8601 in UTC"})
    actor_id = fields.String(allow_none=True, required=True,
                             metadata={"description": "null for a failed sign-in"})
    actor_name = fields.String(allow_none=True, required=True, metadata={
        "description": "the username: the account's, or the one a failed sign-in tried"})
    address = fields.String(allow_none=True, required=True,
                            metadata={"description": "where the call came from"})
    action = fields.String(required=True, metadata={"description": "what, e.g. user.update"})
    target = fields.String(allow_none=True, required=True,
                           metadata={"description": "what it was done to (user_id=...)"})
    status = fields.Integer(required=True, metadata={"description": "how it was answered"})
    request_id = fields.String(allow_none=True, required=True)
    detail = fields.Dict(required=True, metadata={
        "description": "what was asked (query, body), secrets left out"})
