"""Review's use cases: the queue, decisions with optimistic concurrency, outcomes, and
keeping cases in step with intake's events."""
from marshmallow import Schema, fields
from sqlalchemy import func, insert, or_, select, update

from minyi_common import events
from minyi_common.db import decode_json, handle_once, utcnow
from minyi_common.errors import Conflict, NotFound
from minyi_common.schemas import load_page, load_principal, require_role

from . import domain
from .adapters.orm import cases, history

EDITORS = ("editor", "admin")


class CaseSchema(Schema):
    id = fields.String(attribute="report_id")
    status = fields.String()
    author_id = fields.String()
    co_author_ids = fields.List(fields.String())
    unit_id = fields.String(allow_none=True)
    title = fields.String()
    situation = fields.String()
    analysis = fields.String()
    suggestions = fields.String()
    category = fields.String()
    consent_to_publish = fields.Boolean()
    submitted_at = fields.AwareDateTime()
    decision = fields.Dict(allow_none=True)
    edited = fields.Dict(allow_none=True)
    outcomes = fields.List(fields.Dict())
    version = fields.Integer()


def _case(row) -> dict:
    case = dict(row._mapping)
    for name in ("co_author_ids", "decision", "edited", "outcomes"):
        case[name] = decode_json(case[name])
    return case


def _record(case: dict) -> dict:
    record = {k: case[k] for k in ("author_id", "co_author_ids", "unit_id", "category",
                                   "situation", "analysis", "suggestions",
                                   "consent_to_publish")}
    record.update(id=case["report_id"], title=case["title"],
                  submitted_at=case["submitted_at"].isoformat())
    return record


def _load_case(uow, report_id: str) -> dict:
    row = uow.execute(select(cases).where(cases.c.report_id == report_id)).first()
    if row is None:
        raise NotFound(f"no report {report_id} in review")
    return _case(row)


def queue(db, principal, filters) -> dict:
    principal = load_principal(principal)
    require_role(principal, *EDITORS)
    filters = dict(filters or {})
    paging = load_page(filters)
    wanted = filters.get("status")
    query = select(cases).where(cases.c.status.in_([wanted] if wanted in domain.PENDING
                                                   else list(domain.PENDING)))
    for name in ("category", "unit_id"):
        if filters.get(name):
            query = query.where(getattr(cases.c, name) == filters[name])
    if filters.get("q"):
        pattern = f"%{filters['q']}%"
        query = query.where(or_(cases.c.title.like(pattern), cases.c.situation.like(pattern)))
    with db.unit_of_work() as uow:
        total = uow.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        rows = uow.execute(query.order_by(cases.c.submitted_at, cases.c.report_id)
                           .limit(paging["page_size"])
                           .offset((paging["page"] - 1) * paging["page_size"])).all()
    return {"items": CaseSchema(many=True).dump([_case(r) for r in rows]), "total": total,
            **paging}


def decide(db, settings, principal, report_id, action, payload) -> dict:
    """Take one editorial decision, or record one outcome, on a report."""
    principal = load_principal(principal)
    require_role(principal, *EDITORS)
    data = domain.load_input(action, payload)
    now = utcnow()
    with db.unit_of_work() as uow:
        case = _load_case(uow, report_id)
        values = {"updated_at": now, "version": case["version"] + 1}
        comment = data.get("comment")
        if action == "outcomes":
            domain.check_outcome(case["status"], data, settings.level)
            outcome = {k: v for k, v in data.items() if v is not None}
            outcome["date"] = data["date"].isoformat()
            values["outcomes"] = case["outcomes"] + [outcome]
            event_type = ("report_forwarded" if data["kind"] == "forwarded"
                          else "report_outcome_recorded")
            extra = {"outcome": outcome}
            comment = data.get("text")
            history_action = data["kind"]
        else:
            status = domain.next_status(action, case["status"])
            decision = {"kind": status, "by": principal["id"], "at": now.isoformat(),
                        "comment": comment}
            extra = {}
            if action == "reject":
                decision["reason_code"] = extra["reason_code"] = data["reason_code"]
            if action == "adopt":
                edits = {k: data[k] for k in ("title", "analysis", "suggestions") if k in data}
                values["edited"] = edits or None
                decision.update(mode="single", issue_id=data["issue_id"])
                extra = {"mode": "single", "level": settings.level,
                         "issue_id": data["issue_id"], "decided_on": now.date().isoformat()}
            values.update(status=status, decision=decision)
            event_type = f"report_{status}"
            history_action = status
        # Optimistic concurrency: of two editors deciding at once, one updates the row
        # and the other finds the version moved on and gets a 409.
        changed = uow.execute(update(cases).where(
            cases.c.report_id == report_id, cases.c.version == case["version"]).values(**values))
        if changed.rowcount != 1:
            raise Conflict("another editor changed this report just now; reload and retry")
        uow.execute(insert(history).values(report_id=report_id, at=now, actor_id=principal["id"],
                                           action=history_action, comment=comment))
        uow.emit(events.new_event(event_type, principal["id"], report_id, report=_record(case),
                                  comment=comment, **extra))
        uow.commit()
        case.update(values)
    return CaseSchema().dump(case)


# --- events ---------------------------------------------------------------------------
def on_report_event(db, event) -> None:
    def apply(uow, event):
        report = event["report"]
        kind = event["event_type"]
        now = utcnow()
        existing = uow.execute(select(cases.c.version).where(
            cases.c.report_id == report["id"])).first()
        fields_ = {k: report[k] for k in ("author_id", "co_author_ids", "unit_id", "title",
                                          "situation", "analysis", "suggestions", "category",
                                          "consent_to_publish", "submitted_at")}
        status = {"report_submitted": "submitted", "report_resubmitted": "resubmitted",
                  "report_withdrawn": "withdrawn"}[kind]
        if existing is None:
            uow.execute(insert(cases).values(report_id=report["id"], status=status,
                                             outcomes=[], version=1, updated_at=now,
                                             **fields_))
        else:
            values = {"status": status, "updated_at": now, "version": existing.version + 1}
            if kind != "report_withdrawn":
                values.update(fields_)
            uow.execute(update(cases).where(cases.c.report_id == report["id"]).values(**values))
        uow.execute(insert(history).values(report_id=report["id"], at=event["occurred_at"],
                                           actor_id=event["actor_id"], action=status))
    handle_once(db, f"review.{event['event_type']}", event, apply)
