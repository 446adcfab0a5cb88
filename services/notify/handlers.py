"""Notify's use cases: turn events into inbox items for the right people."""
from marshmallow import Schema, fields
from sqlalchemy import func, insert, select, update

from minyi_common.db import decode_json, handle_once, upsert_row, utcnow
from minyi_common.errors import NotFound
from minyi_common.schemas import load_page, load_principal

from . import templates
from .adapters.orm import notifications, people

# Adoptions and outcomes go to everyone credited and to the unit's admins (SPEC §7).
WIDE = ("report_adopted", "report_forwarded", "report_outcome_recorded")


class NotificationSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    report_id = fields.String(allow_none=True)
    title = fields.String()
    body = fields.String()
    created_at = fields.AwareDateTime()
    read_at = fields.AwareDateTime(allow_none=True)
    read = fields.Function(lambda n: n["read_at"] is not None)


def recipients(uow, event) -> list:
    report = event["report"]
    found = [report["author_id"]]
    if event["event_type"] in WIDE:
        found += report["co_author_ids"]
        if report.get("unit_id"):
            for row in uow.execute(select(people.c.id, people.c.roles, people.c.unit_ids)
                                   .where(people.c.active.is_(True))):
                if ("unit_admin" in decode_json(row.roles)
                        and report["unit_id"] in decode_json(row.unit_ids)):
                    found.append(row.id)
    return list(dict.fromkeys(found))  # each once, in order


def on_report_event(db, event) -> None:
    def apply(uow, event):
        rendered = templates.render(event)
        if rendered is None:
            return
        kind, title, body = rendered
        now = utcnow()
        for person_id in recipients(uow, event):
            uow.execute(insert(notifications).values(
                recipient_id=person_id, event_id=event["event_id"], kind=kind,
                report_id=event.get("report_id"), title=title, body=body, created_at=now))
    handle_once(db, f"notify.{event['event_type']}", event, apply)


def on_directory_event(db, event) -> None:
    def apply(uow, event):
        if event["event_type"] != "directory.person_upserted":
            return
        p = event["person"]
        upsert_row(uow, people, p["id"], {"display_name": p["display_name"], "roles": p["roles"],
                                          "unit_ids": p["unit_ids"], "email": p.get("email"),
                                          "active": p["active"]})
    handle_once(db, f"notify.{event['event_type']}", event, apply)


def inbox(db, principal, filters) -> dict:
    """The caller's own notifications, newest first (never anyone else's)."""
    principal = load_principal(principal)
    filters = dict(filters or {})
    paging = load_page(filters)
    query = select(notifications).where(notifications.c.recipient_id == principal["id"])
    if str(filters.get("unread", "")).lower() in ("1", "true", "yes"):
        query = query.where(notifications.c.read_at.is_(None))
    with db.unit_of_work() as uow:
        total = uow.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        rows = uow.execute(query.order_by(notifications.c.created_at.desc(),
                                          notifications.c.id.desc())
                           .limit(paging["page_size"])
                           .offset((paging["page"] - 1) * paging["page_size"])).mappings().all()
    return {"items": NotificationSchema(many=True).dump(rows), "total": total, **paging}


def mark_read(db, principal, notification_id) -> dict:
    principal = load_principal(principal)
    try:
        key = int(notification_id)
    except (TypeError, ValueError):
        raise NotFound(f"no notification {notification_id}") from None
    mine = (notifications.c.id == key) & (notifications.c.recipient_id == principal["id"])
    with db.unit_of_work() as uow:
        row = uow.execute(select(notifications).where(mine)).mappings().first()
        if row is None:
            raise NotFound(f"no notification {notification_id}")
        if row["read_at"] is None:
            uow.execute(update(notifications).where(mine).values(read_at=utcnow()))
        row = uow.execute(select(notifications).where(mine)).mappings().first()
        uow.commit()
    return NotificationSchema().dump(row)
