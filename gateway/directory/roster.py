"""Roster import (docs/office.md): a county office's whole list of members and officers in one
spreadsheet. A dry run says what would change, row by row; an import applies every row
or none; the same file again changes nothing; new accounts get a one-time password,
shown once, to be replaced at first login.

Rows are checked here without a framework; the spreadsheet itself is read and written by
``adapters.roster_xlsx``.
"""
import re
import uuid

from marshmallow import ValidationError, validate
from sqlalchemy import select, update

from minyi_common import events, words
from minyi_common.contracts import USERNAME_RULE, WECOM_USERID_RULE, mainland_mobile, one_line
from minyi_common.db import lock, utcnow

from ..adapters.orm import units, users
from . import auth
from .accounts import (mobiles_in_use, one_time_password, person_event, user_row,
                       wecom_ids_in_use)

COLUMNS = ("姓名", "用户名", "手机", "邮箱", "角色", "单位", "单位类别", "是否常委", "届次",
           "企业微信账号")
REQUIRED = ("姓名", "用户名", "角色")
MAX_ROWS = 2000
ROLE_BY_WORD = {word: code for code, word in words.ROLES.items()}
KIND_BY_WORD = {word: code for code, word in words.UNIT_KINDS.items()}
YES, NO = ("是", "Y", "y", "yes", "true", "1", "√"), ("否", "N", "n", "no", "false", "0", "")
SEPARATORS = re.compile(r"[、,，;；/]+")
PHONE = re.compile(r"^[0-9+\- ]{5,32}$")
USERNAME = re.compile(r"^[A-Za-z0-9_.@-]+$")
WECOM_USERID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
# What a person row sets on an account; compared to tell an update from no change.
FIELDS = ("display_name", "phone", "email", "roles", "unit_ids", "is_standing", "term",
          "wecom_userid")

# Messages (English templates, translated at the edge like every other; messages.py).
M_REQUIRED = "Required."
M_HEADERS = "The first row must name the columns: {columns}."
M_TOO_LONG = "At most {max} characters."
M_DUPLICATE = "This username is also on row {row}."
M_ROLE = "Unknown role {value}: use {choices}."
M_KIND = "Unknown unit kind {value}: use {choices}."
M_NEW_UNIT = "New unit {name} needs its kind (单位类别)."
M_YES_NO = "Use 是 or 否."
M_PHONE = "Not a phone number."
M_PHONE_IN_USE = "This mobile number is another active account's."
M_WECOM_IN_USE = "This WeCom user ID is another active account's."
M_EMAIL = "Not a valid email address."
M_TOO_MANY = "At most {max} rows in one file."
M_EMPTY = "The file has no rows to import."


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value == int(value):
        value = int(value)  # a phone number typed as a number
    return str(value).strip()


def _split(value: str) -> list:
    return [part.strip() for part in SEPARATORS.split(value) if part.strip()]


def read_rows(table: list) -> tuple:
    """(rows, errors): each row as {column: text} with its spreadsheet row number."""
    if not table:
        return [], [{"row": 1, "column": "", "message": M_EMPTY}]
    header = [_text(cell) for cell in table[0]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        return [], [{"row": 1, "column": "、".join(missing),
                     "message": M_HEADERS.format(columns="、".join(COLUMNS))}]
    rows = []
    for number, cells in enumerate(table[1:], start=2):
        values = {c: _text(cells[i]) if i < len(cells) else ""
                  for i, c in enumerate(header) if c in COLUMNS}
        if any(values.values()):
            rows.append((number, values))
    if not rows:
        return [], [{"row": 2, "column": "", "message": M_EMPTY}]
    if len(rows) > MAX_ROWS:
        return [], [{"row": rows[MAX_ROWS][0], "column": "",
                     "message": M_TOO_MANY.format(max=MAX_ROWS)}]
    return rows, []


def check_row(number: int, values: dict, unit_kinds: dict, new_units: dict) -> tuple:
    """(person, errors) of one row. ``unit_kinds`` maps existing unit names to kinds;
    ``new_units`` collects units this file creates (name → kind)."""
    errors = []

    def error(column, message):
        errors.append({"row": number, "column": column, "message": message})

    for column in REQUIRED:
        if not values.get(column):
            error(column, M_REQUIRED)
    name, username = values.get("姓名", ""), values.get("用户名", "")
    if len(name) > 100:
        error("姓名", M_TOO_LONG.format(max=100))
    for column in ("姓名", "单位", "届次"):
        try:
            one_line(values.get(column, ""))
        except ValidationError as exc:
            error(column, exc.messages[0])
    if username and (not USERNAME.match(username) or not 2 <= len(username) <= 64):
        error("用户名", USERNAME_RULE)
    phone, email = values.get("手机", ""), values.get("邮箱", "")
    if phone and not PHONE.match(phone):
        error("手机", M_PHONE)
    if len(email) > 254:
        error("邮箱", M_TOO_LONG.format(max=254))
    elif email:
        try:
            validate.Email()(email)
        except ValidationError:
            error("邮箱", M_EMAIL)
    roles = []
    for word in _split(values.get("角色", "")):
        code = ROLE_BY_WORD.get(word) or (word if word in words.ROLES else None)
        if code is None:
            error("角色", M_ROLE.format(value=word, choices="、".join(words.ROLES.values())))
        elif code not in roles:
            roles.append(code)
    kind_word = values.get("单位类别", "")
    kind = KIND_BY_WORD.get(kind_word) or (kind_word if kind_word in words.UNIT_KINDS else None)
    if kind_word and kind is None:
        error("单位类别", M_KIND.format(value=kind_word,
                                    choices="、".join(words.UNIT_KINDS.values())))
    unit_names = list(dict.fromkeys(_split(values.get("单位", ""))))
    for unit_name in unit_names:
        if len(unit_name) > 100:
            error("单位", M_TOO_LONG.format(max=100))
        elif unit_name not in unit_kinds and unit_name not in new_units:
            if kind is None:
                if not kind_word:
                    error("单位类别", M_NEW_UNIT.format(name=unit_name))
            else:
                new_units[unit_name] = kind
    standing = values.get("是否常委", "")
    if standing not in YES + NO:
        error("是否常委", M_YES_NO)
    term = values.get("届次", "")
    if len(term) > 20:
        error("届次", M_TOO_LONG.format(max=20))
    person = {"display_name": name, "username": username, "phone": phone or None,
              "email": email or None, "roles": roles, "unit_names": unit_names,
              "is_standing": standing in YES, "term": term or None}
    if "企业微信账号" in values:  # a file without the column leaves the IDs on record alone
        wecom_userid = values["企业微信账号"]
        if wecom_userid and not WECOM_USERID.match(wecom_userid):
            error("企业微信账号", WECOM_USERID_RULE)
        person["wecom_userid"] = wecom_userid or None
    return person, errors


def plan(rows: list, unit_kinds: dict) -> tuple:
    """(people, new units, errors) for the rows."""
    people, new_units, errors, seen = [], {}, [], {}
    for number, values in rows:
        person, row_errors = check_row(number, values, unit_kinds, new_units)
        username = person["username"]
        if username and username in seen:
            row_errors.append({"row": number, "column": "用户名",
                               "message": M_DUPLICATE.format(row=seen[username])})
        seen.setdefault(username, number)
        errors += row_errors
        people.append((number, person))
    return people, new_units, errors


def _shared(people, in_use: dict, field: str, column: str, message: str,
            normal=lambda value: value or None) -> list:
    """One active account per mobile, and per WeCom account: a row whose ``field`` another
    account (or an earlier row) has is an error at ``column``. Each value is kept as
    ``normal`` gives it (a mobile as its 11 digits); None ones are not compared."""
    errors, rows_values = [], {}
    for number, person in people:
        value = normal(person.get(field))
        if value is None:
            continue
        person[field] = value
        owner = in_use.get(value)
        if (owner and owner != person["username"]) or value in rows_values:
            errors.append({"row": number, "column": column, "message": message})
        rows_values.setdefault(value, number)
    return errors


def _desired(person: dict, unit_ids: dict) -> dict:
    desired = {"display_name": person["display_name"], "phone": person["phone"],
               "email": person["email"], "roles": person["roles"],
               "unit_ids": [unit_ids[n] for n in person["unit_names"]],
               "is_standing": person["is_standing"], "term": person["term"]}
    if "wecom_userid" in person:
        desired["wecom_userid"] = person["wecom_userid"]
    return desired


def import_roster(db, actor_id, table: list, dry_run: bool) -> dict:
    """Check every row; unless ``dry_run`` or a row is wrong, apply them all at once.
    ``applied`` in the answer says whether anything was stored."""
    rows, errors = read_rows(table)
    with db.unit_of_work() as uow:
        if not dry_run:
            lock(uow, "directory-roster-import")  # one import at a time: units are shared
        unit_rows = uow.execute(select(units.c.id, units.c.name, units.c.kind)).all()
        unit_kinds = {r.name: r.kind for r in unit_rows}
        unit_ids = {r.name: r.id for r in unit_rows}
        usernames = [values.get("用户名", "") for _, values in rows]
        existing = {r.username: user_row(r) for r in uow.execute(
            select(users).where(users.c.username.in_(usernames)))} if rows else {}
        people, new_units, row_errors = plan(rows, unit_kinds)
        errors += row_errors \
            + _shared(people, mobiles_in_use(uow), "phone", "手机", M_PHONE_IN_USE,
                      mainland_mobile) \
            + _shared(people, wecom_ids_in_use(uow), "wecom_userid", "企业微信账号",
                      M_WECOM_IN_USE)
        for name in new_units:
            unit_ids[name] = str(uuid.uuid4())
        created, updated, unchanged, passwords = [], [], [], []
        for number, person in people:
            desired = _desired(person, unit_ids) if not errors else None
            account = existing.get(person["username"])
            if account is None:
                created.append((number, person, desired))
            elif desired is not None and any(account[f] != desired[f] for f in FIELDS
                                             if f in desired):
                updated.append((account, desired))
            else:
                unchanged.append(number)
        answer = {"rows": len(rows), "created": len(created), "updated": len(updated),
                  "unchanged": len(unchanged), "new_units": sorted(new_units),
                  "errors": errors, "dry_run": dry_run, "applied": False, "passwords": []}
        if dry_run or errors:
            return answer
        now = utcnow()
        for name, kind in new_units.items():
            unit = {"id": unit_ids[name], "name": name, "kind": kind}
            uow.execute(units.insert().values(**unit, created_at=now, row_version=1))
            uow.emit(events.new_event("directory.unit_upserted", actor_id,
                                      unit={**unit, "version": 1}))
        for number, person, desired in created:
            password = one_time_password()
            user = {"wecom_userid": None, **desired, "id": str(uuid.uuid4()),
                    "username": person["username"],
                    "active": True, "must_change_password": True, "token_version": 1,
                    "row_version": 1, "created_at": now, "updated_at": now}
            uow.execute(users.insert().values(
                **user, password_hash=auth.hash_one_time_password(password)))
            uow.emit(person_event(actor_id, user))
            passwords.append({"row": number, "username": person["username"],
                              "display_name": person["display_name"],
                              "one_time_password": password})
        for account, desired in updated:
            values = {**desired, "row_version": account["row_version"] + 1, "updated_at": now}
            uow.execute(update(users).where(users.c.id == account["id"]).values(**values))
            uow.emit(person_event(actor_id, {**account, **values}))
        uow.commit()
    return {**answer, "applied": True, "passwords": passwords}
