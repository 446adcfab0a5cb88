"""The audit log (审计日志): who did what, when, from where, for the actions an office must
be able to account for (docs/security.md) — sign-ins and their failures, accounts and
roles, passwords, rules and quotas, point adjustments, imports, webhooks and links, and
the documents and bulletins people download.

Every such action is an HTTP call through the gateway, so the gateway records it: a
route declares its action (``@api(..., audit="user.update")``) and ``record`` writes one
row when the call is answered, before the answer leaves, whatever its status (a refused
attempt is worth as much to an auditor as a granted one). A GET is recorded only when it
served a file: looking at a bulletin is not downloading it.

The table takes inserts only: no route changes or deletes a row, and a database trigger
(the migration) refuses UPDATE and DELETE on both databases. Nothing prunes it, so
entries outlive the 180 days an office must keep them.
"""
import json
import logging
from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, func, insert, or_, select

from minyi_common import officetime, words
from minyi_common.errors import ValidationFailed

from .adapters.orm import audit_log, users

log = logging.getLogger(__name__)

# What is recorded, by the name the web app shows (one table with its Chinese words).
ACTIONS = tuple(words.AUDIT_ACTIONS)
# Where a handler leaves who acted (``note_actor``) and the parsed JSON body (read_json).
ACTOR = "minyi.audit.actor"
BODY = "minyi.json"
# Never written to the log, whatever route carries them.
SECRETS = frozenset({"password", "current_password", "new_password", "secret", "token",
                     "access_token", "one_time_password"})
MAX_DETAIL = 2000  # characters of JSON; a bigger body (a rule table) keeps its field names


def note_actor(request, person_id: str | None, username: str | None) -> None:
    request.environ[ACTOR] = (person_id, username)


def _redacted(value):
    if isinstance(value, dict):
        return {k: "***" if k in SECRETS else _redacted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redacted(v) for v in value]
    return value


def detail_of(request) -> dict:
    """What the call asked for, without secrets and within MAX_DETAIL."""
    detail = {}
    if request.args:
        detail["query"] = {k: request.args.get(k)[:100] for k in list(request.args)[:10]}
    body = request.environ.get(BODY)
    if body is not None:
        body = _redacted(body)
        if len(json.dumps(body, ensure_ascii=False)) > MAX_DETAIL:
            body = {"fields": sorted(body)[:50]} if isinstance(body, dict) else None
        if body is not None:
            detail["body"] = body
    return detail


def should_record(request, response_status: int, content_type: str | None) -> bool:
    if request.method != "GET":
        return True
    # A GET is a download when it served a file; its refusal (403, 404) is an attempt.
    return response_status >= 400 or not (content_type or "").startswith("application/json")


def record(database, request, action: str, status: int, address: str | None,
           request_id: str | None) -> None:
    """One row for one answered call. Fails loudly in the log, never for the caller: the
    action itself is done by now, and answering it as failed would be the worse lie."""
    actor_id, actor_name = request.environ.get(ACTOR) or (None, None)
    if actor_name is None and action == "auth.login":
        body = request.environ.get(BODY)
        if isinstance(body, dict) and isinstance(body.get("username"), str):
            actor_name = body["username"][:64]  # the name a failed attempt tried
    values = getattr(request, "path_values", None) or {}
    target = ",".join(f"{k}={v}" for k, v in sorted(values.items()))[:200] or None
    try:
        with database.unit_of_work() as uow:
            if values.get("user_id"):  # whose account, as people know it
                username = uow.execute(select(users.c.username)
                                       .where(users.c.id == values["user_id"])).scalar()
                if username:
                    target = f"{target} ({username})"[:200]
            uow.execute(insert(audit_log).values(
                at=datetime.now(timezone.utc), actor_id=actor_id, actor_name=actor_name,
                address=(address or None) and address[:45], action=action, target=target,
                status=status, request_id=request_id, detail=detail_of(request)))
            uow.commit()
    except Exception:
        log.error("could not write the audit entry for %s (status %s)", action, status,
                  exc_info=True, extra={"request_id": request_id})


def _day(value: str | None, field: str):
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise ValidationFailed("some fields are invalid", {
            field: ["Not a valid date."]}) from None


def entries(database, actor: str | None, action: str | None, day_from: str | None,
            day_to: str | None, page: int, page_size: int) -> dict:
    """Newest first. ``actor`` is a person's id or username; ``action`` one action or a
    family ("user."); the days are the office's calendar days, both included."""
    start, end = _day(day_from, "from"), _day(day_to, "to")
    if start and end and end < start:
        raise ValidationFailed("some fields are invalid", {
            "to": ["The end date is before the start date."]})
    if action and action not in ACTIONS and not any(a.startswith(action) for a in ACTIONS):
        raise ValidationFailed("some fields are invalid", {"action": ["Unknown action."]})
    where = []
    if actor:
        where.append(or_(audit_log.c.actor_id == actor, audit_log.c.actor_name == actor))
    if action:
        where.append(audit_log.c.action == action if action in ACTIONS
                     else audit_log.c.action.startswith(action))
    if start:
        where.append(audit_log.c.at >= officetime.start_of(start))
    if end:
        where.append(audit_log.c.at < officetime.start_of(end + timedelta(days=1)))
    condition = and_(*where) if where else True
    with database.unit_of_work(read_only=True) as uow:
        total = uow.execute(select(func.count()).select_from(audit_log)
                            .where(condition)).scalar_one()
        rows = uow.execute(select(audit_log).where(condition)
                           .order_by(audit_log.c.id.desc())
                           .limit(page_size).offset((page - 1) * page_size)).all()
    return {"items": [_entry(r) for r in rows], "total": total, "page": page,
            "page_size": page_size}


def _entry(row) -> dict:
    at = row.at if row.at.tzinfo else row.at.replace(tzinfo=timezone.utc)
    return {"id": row.id, "at": at.isoformat(), "actor_id": row.actor_id,
            "actor_name": row.actor_name, "address": row.address, "action": row.action,
            "target": row.target, "status": row.status, "request_id": row.request_id,
            "detail": row.detail or {}}
