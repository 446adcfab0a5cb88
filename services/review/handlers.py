"""Review's use cases: the queue with similarity hints, decisions with optimistic
concurrency, merges, outcomes, and keeping cases in step with intake's events."""
import uuid
from datetime import timedelta
from functools import partial

from sqlalchemy import func, insert, or_, select, update

from minyi_common import events, officetime
from minyi_common.contracts import CaseSchema, load_page, load_principal, require
from minyi_common.db import DirectoryCopy, conflict_insert, decode_json, handle_each, lock, utcnow
from minyi_common.errors import Conflict, NotFound, ValidationFailed

from . import domain, similarity
from .adapters.orm import cases, history, people, pieces, similarity_docs, similarity_hints, units
from .publication import attach_to_issue



def _case(row) -> dict:
    case = dict(row._mapping)
    for name in ("co_author_ids", "decision", "edited", "outcomes"):
        case[name] = decode_json(case[name])
    return case


def _record(case: dict) -> dict:
    record = {k: case[k] for k in ("author_id", "co_author_ids", "unit_id", "category",
                                   "situation", "analysis", "suggestions",
                                   "consent_to_publish", "urgent")}
    record.update(id=case["report_id"], title=case["title"],
                  submitted_at=case["submitted_at"].isoformat())
    return record


def _load_case(uow, report_id: str, for_update: bool = False) -> dict | None:
    """A case; ``for_update`` holds its row until commit (outcomes and intake's events
    change a case that decisions change too)."""
    query = select(cases).where(cases.c.report_id == report_id)
    row = uow.execute(query.with_for_update() if for_update else query).first()
    return _case(row) if row else None


def _editor(principal) -> dict:
    principal = load_principal(principal)
    require(principal, "review")
    return principal


# --- the queue -----------------------------------------------------------------------
def queue(db, principal, filters) -> dict:
    """Pending reports, oldest first, each with the reports most like it."""
    _editor(principal)
    filters = dict(filters or {})
    paging = load_page(filters)
    wanted = filters.get("status")
    if wanted and wanted not in domain.PENDING:
        raise ValidationFailed("not a pending status", {"status": [
            f"The queue holds {' and '.join(domain.PENDING)} reports."]})
    query = select(cases).where(cases.c.status.in_([wanted] if wanted else domain.PENDING))
    for name in ("category", "unit_id"):
        if filters.get(name):
            query = query.where(getattr(cases.c, name) == filters[name])
    if filters.get("q"):
        # The words as typed: a % or _ in them is text, not a wildcard.
        query = query.where(or_(*[column.contains(filters["q"], autoescape=True) for column in
                                  (cases.c.title, cases.c.situation, cases.c.analysis,
                                   cases.c.suggestions)]))
    if str(filters.get("urgent", "")).lower() in ("1", "true", "yes"):
        query = query.where(cases.c.urgent.is_(True))
    days = domain.load_input("queue_days", {k: filters[k] for k in ("submitted_from",
                                                                    "submitted_to")
                                            if filters.get(k)})
    if days.get("submitted_from"):
        query = query.where(cases.c.submitted_at >= officetime.start_of(days["submitted_from"]))
    if days.get("submitted_to"):
        query = query.where(cases.c.submitted_at < officetime.start_of(
            days["submitted_to"] + timedelta(days=1)))
    with db.unit_of_work(read_only=True) as uow:
        total = uow.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        # Urgent items (苗头性、预警性) first, then oldest first (docs/office.md).
        items = [_case(r) for r in uow.execute(
            query.order_by(cases.c.urgent.desc(), cases.c.submitted_at, cases.c.report_id)
            .limit(paging["page_size"]).offset((paging["page"] - 1) * paging["page_size"]))]
        hints = _hints_for(uow, [i["report_id"] for i in items])
    for item in items:
        item["similar"] = hints.get(item["report_id"], [])
    return {"items": CaseSchema(many=True).dump(items), "total": total, **paging}


def get_case(db, principal, report_id) -> dict:
    """One case as the editor's desk shows it: text, edit, status, history, similar."""
    _editor(principal)
    with db.unit_of_work(read_only=True) as uow:
        case = _load_case(uow, report_id)
        if case is None:
            raise NotFound(f"no report {report_id} in review")
        case["similar"] = _hints_for(uow, [report_id]).get(report_id, [])
        case["history"] = [dict(r._mapping) for r in uow.execute(
            select(history.c.at, history.c.actor_id, history.c.action, history.c.comment)
            .where(history.c.report_id == report_id).order_by(history.c.at, history.c.id))]
    return CaseSchema().dump(case)


def _hints_for(uow, report_ids) -> dict:
    if not report_ids:
        return {}
    similar = cases.alias("similar")
    rows = uow.execute(
        select(similarity_hints.c.report_id, similarity_hints.c.similar_report_id,
               similarity_hints.c.score, similar.c.title, similar.c.status)
        .join(similar, similar.c.report_id == similarity_hints.c.similar_report_id)
        .where(similarity_hints.c.report_id.in_(report_ids))
        .order_by(similarity_hints.c.score.desc()))
    found = {}
    for row in rows:
        found.setdefault(row.report_id, []).append(
            {"report_id": row.similar_report_id, "title": row.title, "status": row.status,
             "score": row.score})
    return found


# --- decisions -----------------------------------------------------------------------
def _save_transition(uow, principal, case, values, event_type, comment, history_action,
                     **event_fields) -> None:
    """Write one decision: the guarded update, the history line and the event."""
    values = {**values, "updated_at": utcnow(), "version": case["version"] + 1}
    # Optimistic concurrency: of two editors deciding at once, one updates the row and
    # the other finds the version moved on.
    changed = uow.execute(update(cases).where(
        cases.c.report_id == case["report_id"], cases.c.version == case["version"])
        .values(**values))
    if changed.rowcount != 1:
        raise Conflict("another editor changed this report just now; reload and retry")
    uow.execute(insert(history).values(report_id=case["report_id"], at=values["updated_at"],
                                       actor_id=principal["id"], action=history_action,
                                       comment=comment))
    uow.emit(events.new_event(event_type, principal["id"], case["report_id"],
                              report=_record(case), comment=comment, **event_fields))
    case.update(values)


def _new_piece(uow, principal, mode, text: dict, source_ids, issue_id) -> dict:
    piece = {"id": str(uuid.uuid4()), "mode": mode, "source_report_ids": list(source_ids),
             "created_by": principal["id"], "created_at": utcnow(), "issue_id": None,
             "position": None, **text}
    uow.execute(insert(pieces).values(**piece))
    if issue_id:
        piece.update(attach_to_issue(uow, issue_id, piece["id"]))
    return piece


def _adoption_fields(settings, piece, mode, edited=None) -> dict:
    return {"mode": mode, "level": settings.level, "piece_id": piece["id"],
            "merged_into": piece["id"] if mode == "merged" else None,
            "issue_id": piece["issue_id"], "issue_label": piece.get("issue_label"),
            "edited": edited, "decided_on": officetime.today().isoformat()}


def decide(db, settings, principal, report_id, action, payload) -> dict:
    """Take one editorial decision, or record one outcome, on a report."""
    principal = _editor(principal)
    data = domain.load_input(action, payload)
    with db.unit_of_work() as uow:
        # Two outcomes recorded at once do not conflict: the second waits for the first
        # and appends to what it wrote. Two decisions do conflict: the version check of
        # _save_transition turns the later one into a 409.
        case = _load_case(uow, report_id, for_update=action == "outcomes")
        if case is None:
            if action == "outcomes":
                answer = _outcome_on_piece(uow, settings, principal, report_id, data)
                uow.commit()
                return answer
            raise NotFound(f"no report {report_id} in review")
        if action == "outcomes":
            _record_outcome(uow, settings, principal, case, data)
        else:
            _decide(uow, settings, principal, case, action, data)
        uow.commit()
    return CaseSchema().dump(case)


def _handoff_unit(uow, unit_id: str):
    """The town office a local matter goes to (docs/office.md): a town_office unit."""
    unit = uow.execute(select(units).where(units.c.id == unit_id)).first()
    if unit is None:
        raise ValidationFailed("some fields are invalid",
                               {"handoff_unit_id": ["No such unit."]})
    if unit.kind != "town_office":
        raise ValidationFailed("some fields are invalid", {"handoff_unit_id": [
            "Only a town office (乡镇街道) unit takes a hand-off."]})
    return unit


def _decide(uow, settings, principal, case, action, data) -> None:
    status = domain.next_status(action, case["status"])
    comment = data.get("comment")
    decision = {"kind": status, "by": principal["id"], "at": utcnow().isoformat(),
                "comment": comment}
    values = {"status": status, "decision": decision}
    extra = {}
    if action == "reject":
        decision["reason_code"] = extra["reason_code"] = data["reason_code"]
        if data.get("handoff_unit_id"):
            unit = _handoff_unit(uow, data["handoff_unit_id"])
            values["handoff_unit_id"] = unit.id
            decision.update(handoff_unit_id=unit.id, handoff_unit_name=unit.name)
            extra.update(handoff_unit_id=unit.id, handoff_unit_name=unit.name)
    if action == "adopt":
        edited = {k: data[k] for k in ("title", "situation", "analysis", "suggestions")
                  if k in data} or None
        text = {"title": case["title"], "situation": case["situation"],
                "analysis": case["analysis"], "suggestions": case["suggestions"],
                **(edited or {})}
        piece = _new_piece(uow, principal, "single", text, [case["report_id"]],
                           data["issue_id"])
        values.update(edited=edited, piece_id=piece["id"])
        decision.update(mode="single", piece_id=piece["id"], issue_id=piece["issue_id"],
                        issue_label=piece.get("issue_label"))
        extra = _adoption_fields(settings, piece, "single", edited)
    _save_transition(uow, principal, case, values, f"report_{status}", comment, status, **extra)


def _record_outcome(uow, settings, principal, case, data) -> None:
    domain.check_outcome(case["status"], data, settings.level)
    outcome = {k: v for k, v in data.items() if v is not None}
    outcome.update(date=data["date"].isoformat(), recorded_by=principal["id"],
                   recorded_at=utcnow().isoformat())
    event_type = "report_forwarded" if data["kind"] == "forwarded" else "report_outcome_recorded"
    published = {k: v for k, v in outcome.items() if k not in ("recorded_by", "recorded_at")}
    _save_transition(uow, principal, case, {"outcomes": case["outcomes"] + [outcome]},
                     event_type, data.get("text"), data["kind"], outcome=published)


def _outcome_on_piece(uow, settings, principal, piece_id, data) -> dict:
    """An outcome of a merged piece is an outcome of every report merged into it."""
    row = uow.execute(select(pieces).where(pieces.c.id == piece_id)).first()
    if row is None:
        raise NotFound(f"no report or piece {piece_id} in review")
    sources = []
    for report_id in sorted(decode_json(row.source_report_ids)):  # one lock order for all
        case = _load_case(uow, report_id, for_update=True)
        _record_outcome(uow, settings, principal, case, data)
        sources.append(case)
    return {"piece_id": piece_id, "reports": CaseSchema(many=True).dump(sources)}


def merge(db, settings, principal, payload) -> dict:
    """综合采用: 2+ pending reports become one published piece, each adopted (merged)."""
    principal = _editor(principal)
    data = domain.load_merge(payload)
    with db.unit_of_work() as uow:
        sources = []
        for report_id in data["report_ids"]:
            case = _load_case(uow, report_id)
            if case is None:
                raise ValidationFailed("unknown reports", {"report_ids": [
                    f"No report {report_id} in review."]})
            domain.next_status("adopt", case["status"])  # 409 unless each may be adopted
            sources.append(case)
        text = {"title": data["title"], "analysis": data["analysis"],
                "suggestions": data["suggestions"],
                "situation": data.get("situation") or "\n".join(c["situation"] for c in sources)}
        piece = _new_piece(uow, principal, "merged", text, data["report_ids"], data["issue_id"])
        for case in sources:
            decision = {"kind": "adopted", "by": principal["id"], "at": utcnow().isoformat(),
                        "comment": data.get("comment"), "mode": "merged",
                        "piece_id": piece["id"], "merged_into": piece["id"],
                        "issue_id": piece["issue_id"], "issue_label": piece.get("issue_label")}
            _save_transition(uow, principal, case, {"status": "adopted", "decision": decision,
                                                    "piece_id": piece["id"]},
                             "report_adopted", f"综合采用：{data['title']}", "adopted",
                             **_adoption_fields(settings, piece, "merged"))
        uow.commit()
    piece["created_at"] = piece["created_at"].isoformat()
    return piece


# --- events --------------------------------------------------------------------------
STATUS_OF = {"report_submitted": "submitted", "report_resubmitted": "resubmitted",
             "report_withdrawn": "withdrawn"}
CASE_FIELDS = ("author_id", "co_author_ids", "unit_id", "title", "situation", "analysis",
               "suggestions", "category", "consent_to_publish", "urgent", "submitted_at")


def on_report_events(db, index, *events, pause=lambda: None) -> None:
    """Keep a case in step with intake: events about one report apply one at a time and
    in the order they happened, whatever order they arrive in (docs/architecture.md)."""
    def before(uow, batch):
        # One writer per report (its case row may not exist yet): the batch's keys in
        # one statement, in the batch's order, before any of its events applies.
        lock(uow, *(f"review:report:{event['report']['id']}" for event in batch))
        uow.memo["rows to add"] = RowsToAdd()
        # The first event of a report makes its case (a withdrawal that overtook its
        # submission makes a withdrawn case: the submission, older, then changes nothing
        # and the report never queues): the batch's new cases in one statement; the
        # events that made them are not applied to them again.
        firsts = {}
        for event in batch:
            firsts.setdefault(event["report"]["id"], event)
        made = uow.execute(
            conflict_insert(uow.db, cases).on_conflict_do_nothing().returning(cases.c.report_id),
            [dict(report_id=report_id, status=STATUS_OF[event["event_type"]], outcomes=[],
                  version=1, updated_at=utcnow(), intake_at=event["occurred_at"],
                  **{k: event["report"][k] for k in CASE_FIELDS})
             for report_id, event in firsts.items()]).scalars()
        uow.memo["cases made by"] = {firsts[report_id]["event_id"] for report_id in made}

    def apply(uow, event):
        report = event["report"]
        kind, at = event["event_type"], event["occurred_at"]
        status = STATUS_OF[kind]
        created = event["event_id"] in uow.memo["cases made by"]
        if not created:  # a case that exists is read and changed
            existing = _load_case(uow, report["id"], for_update=True)
            if existing["intake_at"] is not None and at < existing["intake_at"]:
                return  # older than what this case already reflects
            if existing["status"] not in domain.WITHDRAWABLE:
                # Decided or withdrawn already. A withdrawal an editor's decision overtook
                # changes nothing (the decision stands; intake learns it from the
                # decision's own event), and a late or replayed (re)submission cannot
                # reopen the case.
                return
            values = {"status": status, "updated_at": utcnow(), "intake_at": at,
                      "version": existing["version"] + 1}
            if kind != "report_withdrawn":
                values.update({k: report[k] for k in CASE_FIELDS})
            uow.execute(update(cases).where(cases.c.report_id == report["id"]).values(**values))
        uow.memo["rows to add"].history.append(dict(
            report_id=report["id"], at=at, actor_id=event["actor_id"], action=status))
        if kind != "report_withdrawn":
            _note_similar(uow, index, report, pause, first_time=created)
    handle_each(db, "review", events, apply, before,
                lambda uow, batch: uow.memo["rows to add"].insert(uow, index))


class RowsToAdd:
    """Rows a batch of events only adds (history, similarity hints and docs), inserted
    once for the whole batch when it ends: a statement per table, not per event."""

    def __init__(self):
        self.history = []
        self.hints = {}  # report id -> its hints (a later event's replace an earlier's)
        self.docs = []  # report ids new to the similarity feed, in the order indexed

    def insert(self, uow, index) -> None:
        if self.history:
            uow.execute(insert(history), self.history)
        hints = [row for rows in self.hints.values() for row in rows]
        if hints:
            uow.execute(insert(similarity_hints), hints)
        if self.docs:
            seqs = uow.execute(insert(similarity_docs).returning(similarity_docs.c.seq),
                               [{"report_id": report_id} for report_id in self.docs]).scalars()
            # Caught up under the similarity lock, which this transaction holds until it
            # ends: nobody else adds docs meanwhile, so these need not be read back.
            index.last_seq = max(index.last_seq, *seqs)


def catch_up_batch(uow, index, batch=500) -> int:
    """Add to the in-memory index up to ``batch`` cases it has not seen, in feed order."""
    rows = uow.execute(
        select(similarity_docs.c.seq, cases.c.report_id, cases.c.title, cases.c.situation,
               cases.c.analysis, cases.c.suggestions)
        .join(cases, cases.c.report_id == similarity_docs.c.report_id)
        .where(similarity_docs.c.seq > index.last_seq)
        .order_by(similarity_docs.c.seq).limit(batch)).all()
    for row in rows:
        index.add(row.report_id, similarity.grams(row.title, row.situation, row.analysis,
                                                  row.suggestions))
        index.last_seq = max(index.last_seq, row.seq)
    return len(rows)


def catch_up(db, index, pause=lambda: None, batch=500) -> None:
    """Bring a fresh index up to date at start, a batch per transaction, pausing in
    between so that neither the broker heartbeats nor other workers wait."""
    while True:
        with db.unit_of_work() as uow:
            added = catch_up_batch(uow, index, batch)
        if added < batch:
            return
        pause()


def _note_similar(uow, index, report, pause, first_time=False) -> None:
    # One submission at a time from here to its commit (every instance): two similar
    # reports handled at once would each miss the other, not yet committed, and a burst
    # of reports on one matter is just when hints are wanted.
    lock(uow, "review:similarity")
    if "similarity caught up" not in uow.memo:
        # The index takes a batch's docs before they commit: if the batch rolls back,
        # it forgets them again.
        uow.undo["similarity index"] = partial(index.undo_to, index.mark())
        while catch_up_batch(uow, index) == 500:
            pause()
        uow.memo["similarity caught up"] = True
    doc = similarity.grams(report["title"], report["situation"], report["analysis"],
                           report["suggestions"])
    hints = index.most_similar(doc, exclude=report["id"])
    to_add = uow.memo["rows to add"]
    if not first_time:  # a resubmission's hints are those of its new text
        uow.execute(similarity_hints.delete().where(
            similarity_hints.c.report_id == report["id"]))
    to_add.hints[report["id"]] = [
        {"report_id": report["id"], "similar_report_id": other, "score": score}
        for other, score in hints]
    if report["id"] not in index:
        # In the index at once, for the batch's next reports; its doc row is inserted
        # with the batch's others when the batch ends.
        index.add(report["id"], doc)
        to_add.docs.append(report["id"])


DIRECTORY = DirectoryCopy("review", people, lambda person: {
    "display_name": person["display_name"], "unit_ids": person["unit_ids"],
    "roles": person["roles"]}, units)


def on_directory_events(db, *events) -> None:
    DIRECTORY.consume(db, events)

