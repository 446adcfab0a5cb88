"""Accounts and units: people with their roles and units, and their passwords as the
person and the admins change them. Framework-free."""
import secrets
import uuid

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from minyi_common import events
from minyi_common.contracts import (PasswordChange, UnitInput, UnitOutput, UserInput,
                                    UserOutput, load_contract, mainland_mobile)
from minyi_common.db import decode_json, lock, utcnow
from minyi_common.errors import Conflict, NotFound, ValidationFailed

from ..adapters.orm import sessions, settings, units, users
from . import auth


def _commit_unique(uow, field: str, message: str) -> None:
    """Commit; a unique name that another request took in the meantime is the same 422
    as one that was taken before (not a 500)."""
    try:
        uow.commit()
    except IntegrityError:
        raise ValidationFailed(f"the {field} is taken", {field: [message]}) from None


def user_row(row) -> dict:
    user = dict(row._mapping)
    user["roles"] = decode_json(user["roles"])
    user["unit_ids"] = decode_json(user["unit_ids"])
    return user


def person_event(actor_id, user: dict) -> dict:
    person = {k: user[k] for k in ("id", "username", "display_name", "roles", "unit_ids",
                                   "email", "phone", "wecom_userid", "active")}
    person["version"] = user["row_version"]
    return events.new_event("directory.person_upserted", actor_id, person=person)


# --- units -------------------------------------------------------------------------------
def unit_name_taken(db, name: str) -> bool:
    with db.unit_of_work(read_only=True) as uow:
        return uow.execute(select(units.c.id).where(units.c.name == name)).first() is not None


def create_unit(db, actor_id, payload, unit_id=None) -> dict:
    """A new unit (``unit_id`` when its id was given out before, to a link)."""
    data = load_contract(UnitInput, payload)
    with db.unit_of_work() as uow:
        if uow.execute(select(units.c.id).where(units.c.name == data["name"])).first():
            raise ValidationFailed("a unit with this name exists",
                                   {"name": ["A unit with this name exists."]})
        unit = {"id": unit_id or str(uuid.uuid4()), **data}
        uow.execute(insert(units).values(**unit, created_at=utcnow(), row_version=1))
        uow.emit(events.new_event("directory.unit_upserted", actor_id,
                                  unit={**unit, "version": 1}))
        _commit_unique(uow, "name", "A unit with this name exists.")
    return UnitOutput().dump(unit)


def update_unit(db, actor_id, unit_id, payload) -> dict:
    """Rename a unit or change its kind; every service's copy follows (newest version)."""
    data = load_contract(UnitInput, payload, partial=True)
    with db.unit_of_work() as uow:
        row = uow.execute(select(units).where(units.c.id == unit_id).with_for_update()).first()
        if row is None:
            raise NotFound(f"no unit {unit_id}")
        if "name" in data and data["name"] != row.name and uow.execute(
                select(units.c.id).where(units.c.name == data["name"])).first():
            raise ValidationFailed("a unit with this name exists",
                                   {"name": ["A unit with this name exists."]})
        version = row.row_version + 1
        uow.execute(update(units).where(units.c.id == unit_id).values(**data, row_version=version))
        unit = {"id": unit_id, "name": data.get("name", row.name), "kind": data.get("kind", row.kind)}
        uow.emit(events.new_event("directory.unit_upserted", actor_id,
                                  unit={**unit, "version": version}))
        _commit_unique(uow, "name", "A unit with this name exists.")
    return UnitOutput().dump(unit)


def list_units(db) -> list:
    with db.unit_of_work(read_only=True) as uow:
        rows = uow.execute(select(units).order_by(units.c.name)).mappings().all()
    return UnitOutput(many=True).dump(rows)


def _check_units_exist(uow, unit_ids) -> None:
    if not unit_ids:
        return
    found = {r.id for r in uow.execute(select(units.c.id).where(units.c.id.in_(unit_ids)))}
    missing = [u for u in unit_ids if u not in found]
    if missing:
        raise ValidationFailed("unknown units", {"unit_ids": [f"Unknown units: {', '.join(missing)}."]})


# --- users -------------------------------------------------------------------------------
PHONE_IN_USE = ("this mobile number is another active account's; people who share a phone "
                "need a number each")


def mobiles_in_use(uow, but=None) -> dict:
    """{mobile: username} of the active accounts (other than ``but``) with a mobile."""
    return {mainland_mobile(r.phone): r.username for r in uow.execute(
        select(users.c.phone, users.c.username).where(
            users.c.active.is_(True), users.c.phone.is_not(None), users.c.id != (but or "")))
        if mainland_mobile(r.phone)}


def _checked_phone(uow, phone, active: bool, user_id, mobile_required: bool):
    """The phone to keep: a mobile as its 11 digits, one active account per mobile (409),
    and, where the office sends SMS, a mainland mobile or nothing (422 at ``phone``)."""
    if not phone:
        return None
    mobile = mainland_mobile(phone)
    if mobile is None:
        if mobile_required:
            raise ValidationFailed("some fields are invalid", {"phone": [
                "Not a mainland mobile number."]})
        return phone
    if active and mobile in mobiles_in_use(uow, but=user_id):
        raise Conflict(PHONE_IN_USE)
    return mobile


WECOM_IN_USE = "Another active account has this WeCom user ID."


def wecom_ids_in_use(uow, but=None) -> dict:
    """{WeCom user ID: username} of the active accounts (other than ``but``) with one."""
    return {r.wecom_userid: r.username for r in uow.execute(
        select(users.c.wecom_userid, users.c.username).where(
            users.c.active.is_(True), users.c.wecom_userid.is_not(None),
            users.c.id != (but or "")))}


def _check_wecom_userid(uow, wecom_userid, active: bool, user_id) -> None:
    """One active account per WeCom member: a message must not reach the wrong person."""
    if wecom_userid and active and wecom_userid in wecom_ids_in_use(uow, but=user_id):
        raise ValidationFailed("some fields are invalid", {"wecom_userid": [WECOM_IN_USE]})


def create_user(db, actor_id, payload, mobile_required=False) -> dict:
    data = load_contract(UserInput, payload)
    with db.unit_of_work() as uow:
        if uow.execute(select(users.c.id).where(users.c.username == data["username"])).first():
            raise ValidationFailed("the username is taken",
                                   {"username": ["This username is taken."]})
        _check_units_exist(uow, data["unit_ids"])
        data["phone"] = _checked_phone(uow, data["phone"], data["active"], None, mobile_required)
        _check_wecom_userid(uow, data["wecom_userid"], data["active"], None)
        now = utcnow()
        # The password an admin sets is the person's own until they change it: the answer
        # says so rather than leaving it to the column's default.
        user = {**data, "id": str(uuid.uuid4()), "created_at": now, "updated_at": now,
                "token_version": 1, "row_version": 1, "must_change_password": False}
        password = user.pop("password")
        uow.execute(insert(users).values(**user, password_hash=auth.hash_password(password)))
        uow.emit(person_event(actor_id, user))
        _commit_unique(uow, "username", "This username is taken.")
    return UserOutput().dump(user)


def update_user(db, actor_id, user_id, payload, mobile_required=False) -> dict:
    data = load_contract(UserInput, payload, partial=True)
    with db.unit_of_work() as uow:
        # Locked until commit: two admins changing one account at once both count (the
        # token and row versions are read-modify-write).
        row = uow.execute(select(users).where(users.c.id == user_id).with_for_update()).first()
        if row is None:
            raise NotFound(f"no user {user_id}")
        current = user_row(row)
        if actor_id == user_id and (data.get("active") is False
                                    or ("roles" in data and "admin" not in data["roles"])):
            # The last way into the system must not be closed by a slip.
            raise Conflict("you cannot disable your own account or drop your own admin role")
        if "username" in data and data["username"] != current["username"] and uow.execute(
                select(users.c.id).where(users.c.username == data["username"])).first():
            raise ValidationFailed("the username is taken",
                                   {"username": ["This username is taken."]})
        _check_units_exist(uow, data.get("unit_ids"))
        if "phone" in data or data.get("active") is True:  # a number now in use, or again
            phone = _checked_phone(uow, data.get("phone", current["phone"]),
                                   data.get("active", current["active"]), user_id,
                                   mobile_required and "phone" in data)
            if "phone" in data:
                data["phone"] = phone
        if "wecom_userid" in data or data.get("active") is True:
            _check_wecom_userid(uow, data.get("wecom_userid", current["wecom_userid"]),
                                data.get("active", current["active"]), user_id)
        values = dict(data)
        if "password" in values:
            values["password_hash"] = auth.hash_password(values.pop("password"))
            # A password someone else set is to be replaced by the person (docs/office.md).
            values["must_change_password"] = actor_id != user_id
        if "password_hash" in values or values.get("active") is False:
            values["token_version"] = current["token_version"] + 1
            # Browser sessions end with the tokens.
            uow.execute(delete(sessions).where(sessions.c.user_id == user_id))
        values["updated_at"] = utcnow()
        values["row_version"] = current["row_version"] + 1
        uow.execute(update(users).where(users.c.id == user_id).values(**values))
        user = user_row(uow.execute(select(users).where(users.c.id == user_id)).first())
        uow.emit(person_event(actor_id, user))
        _commit_unique(uow, "username", "This username is taken.")
    return UserOutput().dump(user)


# --- passwords -----------------------------------------------------------------------------
MIN_PASSWORD = 8
# Letters and digits that cannot be mistaken for each other when read out or copied.
PASSWORD_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"


def one_time_password() -> str:
    while True:
        candidate = "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(10))
        if any(c.isdigit() for c in candidate) and any(c.isalpha() for c in candidate):
            return candidate


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD or not any(c.isdigit() for c in password) \
            or not any(c.isalpha() for c in password):
        return f"At least {MIN_PASSWORD} characters, with letters and digits."
    return None


def _set_password(uow, actor_id, current: dict, password: str, must_change: bool,
                  keep_session: str | None = None) -> dict:
    """New hash, every token and (but ``keep_session``) every browser session ended."""
    ended = delete(sessions).where(sessions.c.user_id == current["id"])
    if keep_session:
        ended = ended.where(sessions.c.token_hash != auth.session_token_hash(keep_session))
    uow.execute(ended)
    uow.execute(update(users).where(users.c.id == current["id"]).values(
        password_hash=auth.hash_password(password), must_change_password=must_change,
        token_version=current["token_version"] + 1, row_version=current["row_version"] + 1,
        updated_at=utcnow()))
    user = user_row(uow.execute(select(users).where(users.c.id == current["id"])).first())
    uow.emit(person_event(actor_id, user))
    return user


def change_password(db, user_id: str, payload, session_token: str | None = None) -> dict:
    """The person's own change (docs/office.md): the current password, then a new one. Their
    other sessions and tokens end; this browser session stays."""
    data = load_contract(PasswordChange, payload)
    with db.unit_of_work() as uow:
        row = uow.execute(select(users).where(users.c.id == user_id).with_for_update()).first()
        if row is None:
            raise NotFound(f"no user {user_id}")
        current = user_row(row)
        if not auth.verify_password(current["password_hash"], data["current_password"]):
            raise ValidationFailed("the current password is wrong", {
                "current_password": ["The current password is wrong."]})
        problem = password_problem(data["new_password"])
        if problem:
            raise ValidationFailed("some fields are invalid", {"new_password": [problem]})
        if data["new_password"] == data["current_password"]:
            raise ValidationFailed("some fields are invalid", {
                "new_password": ["The new password must differ from the current one."]})
        user = _set_password(uow, user_id, current, data["new_password"], False, session_token)
        uow.commit()
    return user


def reset_password(db, actor_id: str, user_id: str) -> str:
    """An admin's reset: a one-time password to hand over, replaced at next login."""
    if actor_id == user_id:
        # It would end the admin's own sessions at once, leaving the new password in a
        # dialog on a signed-out page: with one admin, a slip that locks the office out.
        raise Conflict("reset your own password in your settings: POST /api/v1/me/password")
    password = one_time_password()
    with db.unit_of_work() as uow:
        row = uow.execute(select(users).where(users.c.id == user_id).with_for_update()).first()
        if row is None:
            raise NotFound(f"no user {user_id}")
        _set_password(uow, actor_id, user_row(row), password, True)
        uow.commit()
    return password


def list_users(db, query: str, page: int, page_size: int) -> dict:
    """A page of accounts by user name; with ``query``, those whose name, user name or
    mobile holds it (searched here, not in the page the browser has)."""
    found = select(users)
    if query:
        found = found.where(or_(*[column.contains(query, autoescape=True) for column in (
            users.c.display_name, users.c.username, users.c.phone)]))
    with db.unit_of_work(read_only=True) as uow:
        total = uow.execute(select(func.count()).select_from(found.subquery())).scalar_one()
        rows = uow.execute(found.order_by(users.c.username)
                           .limit(page_size).offset((page - 1) * page_size)).all()
    return {"items": UserOutput(many=True).dump([user_row(r) for r in rows]), "total": total,
            "page": page, "page_size": page_size}


def ensure_admin(db, username: str, password: str | None) -> bool:
    """Create the first admin when absent (docs/operations.md). Returns whether it was created."""
    with db.unit_of_work() as uow:
        exists = uow.execute(select(users.c.id).where(users.c.username == username)).first()
    if exists or not password:
        return False
    create_user(db, None, {"username": username, "password": password,
                           "display_name": "系统管理员", "roles": ["admin"]})
    return True


# What a person event carries. Raised when it carries more: every service's copy then
# learns it for the people saved before (an upgrade), not only for those saved after.
# 1: no contact details for notify; 2: the mobile and the WeCom user ID.
PERSON_EVENT_FIELDS = 2


def republish_people_if_stale(db) -> int:
    """Publish every person again when the people were last published with fewer fields
    than person events carry now (run at start; copies keep the newest snapshot, so a
    second gateway doing the same at the same moment changes nothing). How many."""
    with db.unit_of_work() as uow:
        lock(uow, "directory-republish")
        row = uow.execute(select(settings.c.value).where(
            settings.c.key == "person_event_fields")).first()
        if row is not None and int(row.value) >= PERSON_EVENT_FIELDS:
            return 0
        people = [user_row(r) for r in uow.execute(select(users).order_by(users.c.id))]
        for user in people:
            uow.emit(person_event(None, user))
        if row is None:
            uow.execute(insert(settings).values(key="person_event_fields",
                                                value=str(PERSON_EVENT_FIELDS)))
        else:
            uow.execute(update(settings).where(settings.c.key == "person_event_fields")
                        .values(value=str(PERSON_EVENT_FIELDS)))
        uow.commit()
    return len(people)
