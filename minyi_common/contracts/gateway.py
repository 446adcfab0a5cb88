"""Bodies of the gateway's own routes: sign-in, the session, health.
"""
from marshmallow import Schema, fields

from .directory import UserOutput


# --- answers and small bodies the gateway documents -------------------------------------
class LoginInput(Schema):
    username = fields.String(required=True)
    password = fields.String(required=True, load_only=True)
    session = fields.Boolean(load_default=False, metadata={
        "description": "true: a browser session in an HttpOnly cookie, no token answered"})


class LoginAnswer(Schema):
    access_token = fields.String(metadata={"description": "absent for a browser session"})
    token_type = fields.String()
    expires_in = fields.Integer()
    user = fields.Nested(UserOutput)


class MeAnswer(Schema):
    id = fields.String()
    username = fields.String()
    display_name = fields.String()
    roles = fields.List(fields.String())
    unit_ids = fields.List(fields.String())
    must_change_password = fields.Boolean(metadata={
        "description": "true after an admin's reset: every other call answers 403 "
                       "password_change_required until POST /me/password"})


class SessionAnswer(Schema):
    user = fields.Nested(MeAnswer, allow_none=True)


class LoggedOut(Schema):
    ended = fields.Boolean(metadata={"description": "whether a session was ended"})


class Health(Schema):
    status = fields.String()


class Readiness(Schema):
    status = fields.String()
    checks = fields.Dict(keys=fields.String(), values=fields.String())


class Deleted(Schema):
    deleted = fields.String()
