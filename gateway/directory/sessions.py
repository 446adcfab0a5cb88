"""Signing in: login limits, bearer tokens, browser sessions, the principal of a call,
and the key tokens are signed with. Framework-free."""
import secrets
from datetime import timedelta

from sqlalchemy import delete, func, insert, select

from minyi_common.contracts import UserOutput, may
from minyi_common.db import decode_json, lock, utcnow
from minyi_common.errors import Unauthorized, ValidationFailed

from ..adapters.orm import login_failures, sessions, settings, units, users
from . import auth
from .accounts import user_row

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
    user = user_row(row) if row else None
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
    return token_for(secret, authenticate(db, payload, address), lifetime)


def token_for(secret: str, user: dict, lifetime: int) -> dict:
    """The answer of a login: a bearer token for ``user``."""
    token = auth.issue_token(secret, user["id"], user["token_version"], lifetime)
    return {"access_token": token, "token_type": "Bearer", "expires_in": lifetime,
            "user": UserOutput().dump(user)}


def open_session(db, payload, lifetime: int, address: str | None = None) -> tuple:
    """A browser login (docs/web.md): (the cookie's token, the answer without any token)."""
    return session_for(db, authenticate(db, payload, address), lifetime)


def session_for(db, user: dict, lifetime: int) -> tuple:
    """A browser session for ``user``: (the cookie's token, the answer)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    with db.unit_of_work() as uow:
        uow.execute(delete(sessions).where(sessions.c.expires_at < now))
        uow.execute(insert(sessions).values(token_hash=auth.session_token_hash(token), user_id=user["id"],
                                            created_at=now,
                                            expires_at=now + timedelta(seconds=lifetime)))
        uow.commit()
    return token, {"token_type": "cookie", "expires_in": lifetime,
                   "user": UserOutput().dump(user)}


def close_session(db, token: str) -> None:
    with db.unit_of_work() as uow:
        uow.execute(delete(sessions).where(sessions.c.token_hash == auth.session_token_hash(token)))
        uow.commit()


def principal_for_session(db, token: str, read=None) -> dict:
    """The principal of a browser session; ``read`` as for ``principal_for_token``."""
    row = (read or _reader(db))(("session", auth.session_token_hash(token)))
    if row is None:
        raise Unauthorized("the session has ended; log in again")
    return _principal(user_row(row))


def callers(db, asked: list) -> list:
    """The account rows behind many calls at once, in the order asked: ("user", id) for
    a bearer token's account, ("session", token hash) for a live session's; None where
    there is none. One statement for each kind, none in a transaction: under a burst a
    gateway reads who is calling for tens of requests at once instead of one by one.
    Every read starts after the calls it answers arrived, so a disabled account or an
    ended session is refused as at once as before."""
    ids = sorted({value for kind, value in asked if kind == "user"})
    hashes = sorted({value for kind, value in asked if kind == "session"})
    found = {}
    if ids:
        found.update((("user", row.id), row) for row in db.read_all(
            select(users).where(users.c.id.in_(ids))))
    if hashes:
        found.update((("session", row.session_hash), row) for row in db.read_all(
            select(users, sessions.c.token_hash.label("session_hash"))
            .join(sessions, sessions.c.user_id == users.c.id)
            .where(sessions.c.token_hash.in_(hashes), sessions.c.expires_at > utcnow())))
    return [found.get((kind, value)) for kind, value in asked]


def _reader(db):
    return lambda asked: callers(db, [asked])[0]


def _principal(user: dict) -> dict:
    if not user["active"]:
        raise Unauthorized("the account is disabled")
    return {"id": user["id"], "username": user["username"], "roles": user["roles"],
            "unit_ids": user["unit_ids"], "display_name": user["display_name"],
            "must_change_password": bool(user["must_change_password"])}


def search_people(db, query: str | None, page: int, page_size: int, ids=None,
                  entered_by=None) -> dict:
    """Active people by name (or username), or by id, with their units: what an author
    needs to name co-authors, and nothing more. With ``entered_by`` (a principal), only
    the authors that principal may enter a report for (代录): anyone who writes reports
    for an editor or an admin, the people of their units for a unit admin; none for
    anybody else."""
    if entered_by is not None:
        return _entry_authors(db, query, page, page_size, entered_by)
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
    return {"items": [_hit(r, names) for r in rows], "total": total, "page": page,
            "page_size": page_size}


def _hit(row, unit_names) -> dict:
    unit_ids = [u for u in decode_json(row.unit_ids) if u in unit_names]
    return {"id": row.id, "display_name": row.display_name, "unit_ids": unit_ids,
            "unit_names": [unit_names[u] for u in unit_ids]}


def _entry_authors(db, query, page, page_size, principal) -> dict:
    # Roles are a JSON list: whom one may enter for is decided here, over the active
    # people matching the words (an office has hundreds or a few thousand).
    where = [users.c.active.is_(True)]
    if query:
        where.append(users.c.display_name.contains(query, autoescape=True)
                     | users.c.username.contains(query, autoescape=True))
    everyone = may(principal, "see_every_report")
    if not may(principal, "enter_on_behalf"):
        return {"items": [], "total": 0, "page": page, "page_size": page_size}
    with db.unit_of_work(read_only=True) as uow:
        rows = [r for r in uow.execute(
            select(users.c.id, users.c.display_name, users.c.unit_ids, users.c.roles)
            .where(*where).order_by(users.c.display_name, users.c.id))
            if may({"roles": decode_json(r.roles)}, "write_reports") and (
                everyone or set(decode_json(r.unit_ids)) & set(principal["unit_ids"]))]
        names = dict(uow.execute(select(units.c.id, units.c.name)).all())
    start = (page - 1) * page_size
    return {"items": [_hit(r, names) for r in rows[start:start + page_size]],
            "total": len(rows), "page": page, "page_size": page_size}


def principal_for_token(db, secret: str, token: str, read=None) -> dict:
    """The principal of a bearer token. ``read`` answers ("user", id) with the account's
    row (the gateway gathers the reads of concurrent calls, see ``callers``)."""
    claims = auth.read_token(secret, token)
    row = (read or _reader(db))(("user", claims["sub"]))
    if row is None:
        raise Unauthorized("the account no longer exists")
    user = user_row(row)
    if not user["active"] or user["token_version"] != claims.get("ver"):
        raise Unauthorized("the access token is no longer valid; log in again")
    return _principal(user)
