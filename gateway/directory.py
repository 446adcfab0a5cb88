"""The directory's use cases: accounts, units, login. Framework-free."""
import hashlib
import secrets
import uuid
from datetime import timedelta

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from minyi_common import events
from minyi_common.contracts import (PasswordChange, UnitInput, UnitOutput, UserInput,
                                    UserOutput, load_contract)
from minyi_common.db import decode_json, lock, utcnow
from minyi_common.errors import Conflict, NotFound, Unauthorized, ValidationFailed

from . import auth
from .adapters.orm import login_failures, sessions, settings, units, users

# Failed logins in the last minute that make the next attempt wait (429 with Retry-After):
# - 5 for one username from one address: guessing one account's password;
# - 20 from one address, whatever the usernames: spraying made-up or known names;
# - 300 in all (a spread-out flood): then an address that failed at all waits too.
# Never by username alone: someone failing against `admin` from elsewhere must not lock
# the real admin out; an address with no failures in the window may always try.
LOGIN_FAILURE_LIMIT = 5
ADDRESS_FAILURE_LIMIT = 20
GLOBAL_FAILURE_LIMIT = 300
LOGIN_FAILURE_WINDOW = timedelta(minutes=1)


class TooManyAttempts(Exception):
    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = retry_after


def _commit_unique(uow, field: str, message: str) -> None:
    """Commit; a unique name that another request took in the meantime is the same 422
    as one that was taken before (not a 500)."""
    try:
        uow.commit()
    except IntegrityError:
        raise ValidationFailed(f"the {field} is taken", {field: [message]}) from None


def _user_row(row) -> dict:
    user = dict(row._mapping)
    user["roles"] = decode_json(user["roles"])
    user["unit_ids"] = decode_json(user["unit_ids"])
    return user


def _person_event(actor_id, user: dict) -> dict:
    person = {k: user[k] for k in ("id", "username", "display_name", "roles", "unit_ids",
                                   "email", "active")}
    person["version"] = user["row_version"]
    return events.new_event("directory.person_upserted", actor_id, person=person)


# --- secret key ------------------------------------------------------------------------
def secret_key(db, configured: str | None) -> str:
    """MINYI_SECRET_KEY when set; otherwise one generated on first start and kept in the
    gateway's database, so every gateway instance signs with the same key."""
    if configured:
        return configured
    with db.unit_of_work() as uow:
        row = uow.execute(select(settings.c.value).where(settings.c.key == "secret_key")).first()
        if row is None:
            value = secrets.token_urlsafe(48)
            uow.execute(insert(settings).values(key="secret_key", value=value))
            uow.commit()
            return value
        return row.value


# --- units -------------------------------------------------------------------------------
def create_unit(db, actor_id, payload) -> dict:
    data = load_contract(UnitInput, payload)
    with db.unit_of_work() as uow:
        if uow.execute(select(units.c.id).where(units.c.name == data["name"])).first():
            raise ValidationFailed("a unit with this name exists",
                                   {"name": ["A unit with this name exists."]})
        unit = {"id": str(uuid.uuid4()), **data}
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
def create_user(db, actor_id, payload) -> dict:
    data = load_contract(UserInput, payload)
    with db.unit_of_work() as uow:
        if uow.execute(select(users.c.id).where(users.c.username == data["username"])).first():
            raise ValidationFailed("the username is taken",
                                   {"username": ["This username is taken."]})
        _check_units_exist(uow, data["unit_ids"])
        now = utcnow()
        user = {**data, "id": str(uuid.uuid4()), "created_at": now, "updated_at": now,
                "token_version": 1, "row_version": 1}
        password = user.pop("password")
        uow.execute(insert(users).values(**user, password_hash=auth.hash_password(password)))
        uow.emit(_person_event(actor_id, user))
        _commit_unique(uow, "username", "This username is taken.")
    return UserOutput().dump(user)


def update_user(db, actor_id, user_id, payload) -> dict:
    data = load_contract(UserInput, payload, partial=True)
    with db.unit_of_work() as uow:
        # Locked until commit: two admins changing one account at once both count (the
        # token and row versions are read-modify-write).
        row = uow.execute(select(users).where(users.c.id == user_id).with_for_update()).first()
        if row is None:
            raise NotFound(f"no user {user_id}")
        current = _user_row(row)
        if actor_id == user_id and (data.get("active") is False
                                    or ("roles" in data and "admin" not in data["roles"])):
            # The last way into the system must not be closed by a slip.
            raise Conflict("you cannot disable your own account or drop your own admin role")
        if "username" in data and data["username"] != current["username"] and uow.execute(
                select(users.c.id).where(users.c.username == data["username"])).first():
            raise ValidationFailed("the username is taken",
                                   {"username": ["This username is taken."]})
        _check_units_exist(uow, data.get("unit_ids"))
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
        user = _user_row(uow.execute(select(users).where(users.c.id == user_id)).first())
        uow.emit(_person_event(actor_id, user))
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
        ended = ended.where(sessions.c.token_hash != _token_hash(keep_session))
    uow.execute(ended)
    uow.execute(update(users).where(users.c.id == current["id"]).values(
        password_hash=auth.hash_password(password), must_change_password=must_change,
        token_version=current["token_version"] + 1, row_version=current["row_version"] + 1,
        updated_at=utcnow()))
    user = _user_row(uow.execute(select(users).where(users.c.id == current["id"])).first())
    uow.emit(_person_event(actor_id, user))
    return user


def change_password(db, user_id: str, payload, session_token: str | None = None) -> dict:
    """The person's own change (docs/office.md): the current password, then a new one. Their
    other sessions and tokens end; this browser session stays."""
    data = load_contract(PasswordChange, payload)
    with db.unit_of_work() as uow:
        row = uow.execute(select(users).where(users.c.id == user_id).with_for_update()).first()
        if row is None:
            raise NotFound(f"no user {user_id}")
        current = _user_row(row)
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
        _set_password(uow, actor_id, _user_row(row), password, True)
        uow.commit()
    return password


def list_users(db, page: int, page_size: int) -> dict:
    with db.unit_of_work(read_only=True) as uow:
        total = uow.execute(select(func.count()).select_from(users)).scalar_one()
        rows = uow.execute(select(users).order_by(users.c.username)
                           .limit(page_size).offset((page - 1) * page_size)).all()
    return {"items": UserOutput(many=True).dump([_user_row(r) for r in rows]), "total": total,
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


# --- login and principals ---------------------------------------------------------------
def authenticate(db, payload, address: str | None = None) -> dict:
    """The account a username and password open, counting failures by (username, client
    address), by address and in all (see LOGIN_FAILURE_LIMIT)."""
    if not isinstance(payload, dict):
        raise ValidationFailed("the body must be a JSON object", {"_body": ["Not an object."]})
    errors = {f: ["Missing data for required field."] for f in ("username", "password")
              if not isinstance(payload.get(f), str) or not payload.get(f)}
    if "session" in payload and not isinstance(payload["session"], bool):
        errors["session"] = ["Not a valid boolean."]
    if errors:
        raise ValidationFailed("some fields are invalid", errors)
    username, password = payload["username"], payload["password"]
    if len(username) > 64:  # no such account can exist (the column holds 64)
        auth.verify_password(None, password)  # the same time as a wrong password
        raise Unauthorized("wrong username or password")
    address = (address or "unknown")[:45]
    now = utcnow()
    with db.unit_of_work() as uow:
        # One address's attempts are counted one at a time (an advisory lock on
        # PostgreSQL, the writer lock on SQLite): a burst from one client cannot slip past
        # its count. Each attempt is counted as a failure before its password is checked,
        # so the lock is held for a few statements, never for the slow hash: a flood
        # queues nobody else behind it (the hash runs outside any transaction).
        lock(uow, f"gateway:login:{address}")
        uow.execute(delete(login_failures).where(
            login_failures.c.at < now - LOGIN_FAILURE_WINDOW))
        wait, suspect = _login_wait(uow, username, address, now)
        if wait:
            uow.commit()
            raise TooManyAttempts(wait)
        uow.execute(insert(login_failures).values(username=username, address=address, at=now))
        row = uow.execute(select(users).where(users.c.username == username)).first()
        uow.commit()
    user = _user_row(row) if row else None
    if not auth.verify_password(user and user["password_hash"], password, suspect) \
            or not user["active"]:
        raise Unauthorized("wrong username or password")  # counted above
    with db.unit_of_work() as uow:
        uow.execute(delete(login_failures).where(login_failures.c.username == username,
                                                 login_failures.c.address == address))
        uow.commit()
    return user


def _login_wait(uow, username: str, address: str, now) -> tuple:
    """(seconds until this attempt may be made (0: now), whether the address failed
    within the window)."""
    def latest(limit, *where) -> list:
        return uow.execute(select(login_failures.c.at).where(*where)
                           .order_by(login_failures.c.at.desc()).limit(limit)).all()

    def oldest_if_over(limit, rows):
        return rows[-1].at if len(rows) >= limit else None

    from_here = login_failures.c.address == address
    failed_here = latest(ADDRESS_FAILURE_LIMIT, from_here)
    blocking = [oldest_if_over(LOGIN_FAILURE_LIMIT, latest(
                    LOGIN_FAILURE_LIMIT, from_here, login_failures.c.username == username)),
                oldest_if_over(ADDRESS_FAILURE_LIMIT, failed_here)]
    if failed_here:
        blocking.append(oldest_if_over(GLOBAL_FAILURE_LIMIT, latest(GLOBAL_FAILURE_LIMIT)))
    until = [at + LOGIN_FAILURE_WINDOW for at in blocking if at is not None]
    if not until:
        return 0, bool(failed_here)
    return max(1, int((max(until) - now).total_seconds()) + 1), True


def login(db, secret: str, payload, lifetime: int = auth.TOKEN_LIFETIME,
          address: str | None = None) -> dict:
    user = authenticate(db, payload, address)
    token = auth.issue_token(secret, user["id"], user["token_version"], lifetime)
    return {"access_token": token, "token_type": "Bearer", "expires_in": lifetime,
            "user": UserOutput().dump(user)}


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def open_session(db, payload, lifetime: int, address: str | None = None) -> tuple:
    """A browser login (docs/web.md): (the cookie's token, the answer without any token)."""
    user = authenticate(db, payload, address)
    token = secrets.token_urlsafe(32)
    now = utcnow()
    with db.unit_of_work() as uow:
        uow.execute(delete(sessions).where(sessions.c.expires_at < now))
        uow.execute(insert(sessions).values(token_hash=_token_hash(token), user_id=user["id"],
                                            created_at=now,
                                            expires_at=now + timedelta(seconds=lifetime)))
        uow.commit()
    return token, {"token_type": "cookie", "expires_in": lifetime,
                   "user": UserOutput().dump(user)}


def close_session(db, token: str) -> None:
    with db.unit_of_work() as uow:
        uow.execute(delete(sessions).where(sessions.c.token_hash == _token_hash(token)))
        uow.commit()


def principal_for_session(db, token: str) -> dict:
    # Every request of a signed-in browser reads this: one statement, no transaction.
    row = db.read_first(select(users).join(sessions, sessions.c.user_id == users.c.id)
                        .where(sessions.c.token_hash == _token_hash(token),
                               sessions.c.expires_at > utcnow()))
    if row is None:
        raise Unauthorized("the session has ended; log in again")
    return _principal(_user_row(row))


def _principal(user: dict) -> dict:
    if not user["active"]:
        raise Unauthorized("the account is disabled")
    return {"id": user["id"], "username": user["username"], "roles": user["roles"],
            "unit_ids": user["unit_ids"], "display_name": user["display_name"],
            "must_change_password": bool(user["must_change_password"])}


def search_people(db, query: str | None, page: int, page_size: int, ids=None) -> dict:
    """Active people by name (or username), or by id, with their units' names: what an
    author needs to name co-authors, and nothing more."""
    where = [users.c.active.is_(True)]
    if ids:
        where.append(users.c.id.in_(ids))
    if query:
        # The words as typed: a % or _ in them is text, not a wildcard.
        where.append(users.c.display_name.contains(query, autoescape=True)
                     | users.c.username.contains(query, autoescape=True))
    with db.unit_of_work(read_only=True) as uow:
        total = uow.execute(select(func.count()).select_from(users).where(*where)).scalar_one()
        rows = uow.execute(select(users.c.id, users.c.display_name, users.c.unit_ids)
                           .where(*where).order_by(users.c.display_name, users.c.id)
                           .limit(page_size).offset((page - 1) * page_size)).all()
        names = dict(uow.execute(select(units.c.id, units.c.name)).all())
    items = [{"id": r.id, "display_name": r.display_name,
              "unit_names": [names[u] for u in decode_json(r.unit_ids) if u in names]}
             for r in rows]
    return {"items": items, "total": total, "page": page, "page_size": page_size}


def principal_for_token(db, secret: str, token: str) -> dict:
    claims = auth.read_token(secret, token)
    # Every request with a token reads this: one statement, no transaction.
    row = db.read_first(select(users).where(users.c.id == claims["sub"]))
    if row is None:
        raise Unauthorized("the account no longer exists")
    user = _user_row(row)
    if not user["active"] or user["token_version"] != claims.get("ver"):
        raise Unauthorized("the access token is no longer valid; log in again")
    return _principal(user)
