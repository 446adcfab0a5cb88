"""Quotas (报送任务): how many reports each role owes a year, who is behind, and the
reminders in a quarter's last month."""
import math
from datetime import date

from sqlalchemy import func, insert, or_, select

from minyi_common import events, officetime
from minyi_common.contracts import (QuotaInput, has_role, load_contract, load_principal, may,
                                    require)
from minyi_common.db import decode_json, utcnow
from minyi_common.errors import ValidationFailed

from . import domain
from .adapters.orm import people, quota_reminders, quotas, report_records

DEFAULT_QUOTAS = {"member": 4, "officer": 6}


def ensure_default_quotas(db) -> None:
    with db.unit_of_work() as uow:
        for role, count in DEFAULT_QUOTAS.items():
            if not uow.execute(select(quotas.c.count).where(quotas.c.role == role,
                                                            quotas.c.year == 0)).first():
                uow.execute(insert(quotas).values(role=role, year=0, count=count))
        uow.commit()


def set_quota(db, principal, payload) -> dict:
    require(load_principal(principal), "manage_scoring")
    data = load_contract(QuotaInput, payload)
    year = data.get("year") or 0
    with db.unit_of_work() as uow:
        uow.execute(quotas.delete().where(quotas.c.role == data["role"], quotas.c.year == year))
        uow.execute(insert(quotas).values(role=data["role"], year=year, count=data["count"]))
        uow.commit()
    return {"role": data["role"], "year": year or None, "count": data["count"]}


def _quota_table(uow, year: int) -> dict:
    found = {}
    for row in uow.execute(select(quotas).where(quotas.c.year.in_([0, year]))
                           .order_by(quotas.c.year)):
        found[row.role] = row.count  # the year's own figure overrides the default
    return found


def _owed(uow, year: int, upto: date, person_filter=None) -> list:
    per_role = _quota_table(uow, year)
    submitted = (select(report_records.c.author_id.label("sid"), func.count().label("n"))
                 .where(report_records.c.submitted_on.between(date(year, 1, 1), upto),
                        report_records.c.status != "withdrawn")
                 .group_by(report_records.c.author_id).subquery())
    query = (select(people.c.id, people.c.display_name, people.c.is_member, people.c.is_officer,
                    people.c.unit_ids, func.coalesce(submitted.c.n, 0).label("submitted"))
             .select_from(people.outerjoin(submitted, submitted.c.sid == people.c.id))
             .where(people.c.active.is_(True),
                    or_(people.c.is_member.is_(True), people.c.is_officer.is_(True)))
             .order_by(people.c.display_name, people.c.id))
    rows = []
    for row in uow.execute(query):
        unit_ids = decode_json(row.unit_ids)
        if person_filter and not person_filter(row.id, unit_ids):
            continue
        roles = [r for r, flag in (("member", row.is_member), ("officer", row.is_officer)) if flag]
        quota = max(per_role.get(r, 0) for r in roles)
        rows.append({"person_id": row.id, "name": row.display_name, "roles": roles,
                     "unit_ids": unit_ids, "quota": quota, "submitted": row.submitted,
                     "owed": max(0, quota - row.submitted)})
    return rows


def quota(db, principal, year=None) -> dict:
    principal = load_principal(principal)
    try:
        year = int(year or officetime.today().year)
        if not 2000 <= year <= 2999:
            raise ValueError
    except (TypeError, ValueError):
        raise ValidationFailed("invalid year", {"year": ["A year such as 2026."]}) from None
    if may(principal, "see_every_score"):
        keep = None
    elif has_role(principal, "unit_admin"):
        mine = set(principal["unit_ids"])
        keep = lambda person_id, unit_ids: bool(mine & set(unit_ids))  # noqa: E731
    else:
        # A member or officer sees their own progress (the desk's 进度).
        keep = lambda person_id, unit_ids: person_id == principal["id"]  # noqa: E731
    with db.unit_of_work(read_only=True) as uow:
        items = _owed(uow, year, date(year, 12, 31), keep)
    return {"year": year, "items": items, "total": len(items)}


def send_quota_reminders(db, today: date) -> int:
    """In the last month of a quarter, tell each member or officer who is behind the
    share of the yearly quota due by the quarter's end; once per person per quarter."""
    if today.month % 3 != 0:
        return 0
    quarter = domain.current_quarter(today)
    share = (today.month // 3) / 4
    sent = 0
    with db.unit_of_work() as uow:
        reminded = {r.person_id for r in uow.execute(
            select(quota_reminders.c.person_id).where(quota_reminders.c.quarter == quarter))}
        for row in _owed(uow, today.year, today):
            due = math.ceil(row["quota"] * share)
            owed = due - row["submitted"]
            if owed <= 0 or row["person_id"] in reminded:
                continue
            uow.execute(insert(quota_reminders).values(person_id=row["person_id"],
                                                       quarter=quarter, sent_at=utcnow()))
            uow.emit(events.new_event("quota_reminder_due", None, person_id=row["person_id"],
                                      quarter=quarter, quota=row["quota"],
                                      submitted=row["submitted"], owed=owed))
            sent += 1
        uow.commit()
    return sent
