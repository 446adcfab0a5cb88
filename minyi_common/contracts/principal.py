"""The principal every call carries: who is acting, sealed by the gateway and checked by
each service (services check roles themselves, whatever the gateway checked before).
"""
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from .. import principals
from ..errors import Forbidden
from .content import ROLES, reusable


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


# Who may do what, each declared once. The gateway's route names its entry (it shows in
# /openapi.json, and the route checks it before calling a service); the service checks
# the principal against the same entry itself, whatever the gateway did.
MAY = {
    "write_reports": ("member", "officer", "unit_admin"),
    # 代录: a unit admin for the people of their units, editors and admins for anyone.
    "enter_on_behalf": ("editor", "admin", "unit_admin"),
    "create_reports": ("member", "officer", "unit_admin", "editor", "admin"),
    "see_every_report": ("editor", "admin"),
    "review": ("editor", "admin"),  # the queue, decisions, outcomes, pieces, issues
    "see_every_score": ("editor", "admin"),
    "publish_bulletins": ("editor", "admin"),
    "import_reports": ("editor", "admin"),  # past reports with decisions (往期信息)
    "manage_directory": ("admin",),  # accounts, units, the roster
    "read_audit": ("admin",),  # the audit log (审计日志)
    "manage_scoring": ("admin",),  # rule sets, quotas, reminders, the check
    "manage_notifications": ("admin",),  # webhooks, deliveries
    "manage_federation": ("admin",),  # links to upper and lower offices' installs
    "see_links": ("admin", "editor"),  # editors forward pieces up them
    # 转办: editors see every hand-off, a receiving unit's admins their unit's.
    "see_handoffs": ("editor", "admin", "unit_admin"),
    # 办复: the receiving unit's admins, or an editor entering a reply that came on paper.
    "answer_handoffs": ("unit_admin", "editor", "admin"),
}


def may(principal: dict, action: str) -> bool:
    return has_role(principal, *MAY[action])


def require(principal: dict, action: str) -> None:
    require_role(principal, *MAY[action])
