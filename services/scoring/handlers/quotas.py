"""Quotas (报送任务): how many reports each role owes a year, who is behind, and the
reminders in a quarter's last month."""
import math
from datetime import date

from minyi_common import events, officetime
from minyi_common.contracts import (QuotaInput, has_role, load_contract, load_principal, may,
                                    require)
from minyi_common.errors import ValidationFailed

from .. import domain
from ..adapters.repository import ScoringRepository

DEFAULT_QUOTAS = {"member": 4, "officer": 6}


def ensure_default_quotas(db) -> None:
    with db.unit_of_work() as uow:
        repo = ScoringRepository(uow)
        for role, count in DEFAULT_QUOTAS.items():
            if repo.default_quota(role) is None:
                repo.set_quota(role, 0, count)
        uow.commit()


def set_quota(db, principal, payload) -> dict:
    require(load_principal(principal), "manage_scoring")
    data = load_contract(QuotaInput, payload)
    year = data.get("year") or 0
    with db.unit_of_work() as uow:
        ScoringRepository(uow).set_quota(data["role"], year, data["count"])
        uow.commit()
    return {"role": data["role"], "year": year or None, "count": data["count"]}


def quotas_owed(repo, year: int, upto: date, person_filter=None) -> list:
    """Each active member and officer (those ``person_filter`` keeps), with the reports
    their roles owe in ``year`` and those they submitted up to ``upto``."""
    per_role = repo.quotas_for(year)
    rows = []
    for row in repo.submissions_by_writer(date(year, 1, 1), upto):
        if person_filter and not person_filter(row["id"], row["unit_ids"]):
            continue
        roles = [r for r, flag in (("member", row["is_member"]), ("officer", row["is_officer"]))
                 if flag]
        quota = max(per_role.get(r, 0) for r in roles)
        rows.append({"person_id": row["id"], "name": row["display_name"], "roles": roles,
                     "unit_ids": row["unit_ids"], "quota": quota,
                     "submitted": row["submitted"], "owed": max(0, quota - row["submitted"])})
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
        items = quotas_owed(ScoringRepository(uow), year, date(year, 12, 31), keep)
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
        repo = ScoringRepository(uow)
        reminded = repo.reminded_in(quarter)
        for row in quotas_owed(repo, today.year, today):
            due = math.ceil(row["quota"] * share)
            owed = due - row["submitted"]
            if owed <= 0 or row["person_id"] in reminded:
                continue
            repo.add_reminder(row["person_id"], quarter)
            repo.emit(events.new_event("quota_reminder_due", None, person_id=row["person_id"],
                                       quarter=quarter, quota=row["quota"],
                                       submitted=row["submitted"], owed=owed))
            sent += 1
        uow.commit()
    return sent
