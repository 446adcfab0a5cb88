"""Scoring's use cases: keep each report's record, recompute its lines, answer totals."""
import io
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

from sqlalchemy import delete, func, insert, select, text, update

from minyi_common import events, officetime
from minyi_common.contracts import DEFAULT_COAUTHOR_SHARE
from minyi_common.db import (CONFLICT_INSERTS, DirectoryCopy, decode_json, handle_each, lock,
                             utcnow)

from . import domain
from .adapters.orm import (people, quarter_totals, report_records, rule_sets, score_lines,
                           units)

DECISIONS = {"report_returned": "returned", "report_retained": "retained",
             "report_rejected": "rejected", "report_adopted": "adopted",
             "report_submitted": "submitted", "report_resubmitted": "resubmitted",
             "report_withdrawn": "withdrawn"}
OUTCOMES = ("report_forwarded", "report_outcome_recorded")
FINAL = ("adopted", "retained", "rejected")
# Event handlers hold this shared and their report's own key exclusively; each batch of a
# rebuild holds it exclusively. So a report's record and lines change one writer at a
# time, across threads, processes and instances (docs/architecture.md).
REBUILD_KEY = "scoring:rebuild"


def ensure_default_rules(db) -> None:
    """Install the default table (docs/scoring.md) as version 1 on first start."""
    with db.unit_of_work() as uow:
        if uow.execute(select(func.count()).select_from(rule_sets)).scalar_one():
            return
        uow.execute(insert(rule_sets).values(
            version=1, effective_from=date(2000, 1, 1),
            coauthor_share=DEFAULT_COAUTHOR_SHARE, created_at=utcnow(),
            rules=[{"event": r.event, "level": r.level, "mode": r.mode,
                    "points": str(r.points)} for r in domain.DEFAULT_RULES]))
        uow.commit()


def load_rule_sets(uow) -> list:
    """Every rule set, read once per transaction (a batch of events shares them): a new
    rule set is followed by a rebuild, which waits for the transactions before it."""
    if "rule_sets" not in uow.memo:
        uow.memo["rule_sets"] = [
            domain.RuleSet(row.version, row.effective_from, Decimal(str(row.coauthor_share)),
                           domain._rules((r["event"], r["level"], r.get("mode"), r["points"])
                                         for r in decode_json(row.rules)))
            for row in uow.execute(select(rule_sets))]
    return uow.memo["rule_sets"]


def _to_domain(row) -> domain.ReportRecord:
    decision = decode_json(row.decision)
    if decision:
        decision = {**decision, "on": date.fromisoformat(decision["on"])}
    outcomes = {key: {**o, "date": date.fromisoformat(o["date"])}
                for key, o in (decode_json(row.outcomes) or {}).items()}
    return domain.ReportRecord(row.report_id, row.author_id, decode_json(row.co_author_ids),
                               row.unit_id, row.submitted_on, row.status, decision, outcomes)


LINE_COLUMNS = ("report_id", "subject_kind", "subject_id", "role", "event", "level", "mode",
                "points", "rule_version", "event_date")


def _line_values(line) -> tuple:
    return (line.report_id, line.subject_kind, line.subject_id, line.role, line.event,
            line.level, line.mode, line.points, line.rule_version, line.on)


def _insert_lines(uow, lines) -> None:
    if not lines:
        return
    if len(lines) > 1000 and _can_copy(uow):
        _copy_lines(uow, lines)
        return
    uow.execute(insert(score_lines), [dict(zip(LINE_COLUMNS, _line_values(l))) for l in lines])


def _can_copy(uow) -> bool:
    """PostgreSQL's COPY, where psycopg2 allows it: not under eventlet's green wait
    callback (the rebuild command runs without it; the service's rebuild inserts)."""
    if uow.db.is_sqlite:
        return False
    import psycopg2.extensions
    return psycopg2.extensions.get_wait_callback() is None


def _copy_lines(uow, lines) -> None:
    def cell(value):
        return "\\N" if value is None else str(value)
    buffer = io.StringIO("".join("\t".join(cell(v) for v in _line_values(l)) + "\n"
                                 for l in lines))
    cursor = uow.connection.connection.dbapi_connection.cursor()
    cursor.copy_expert(f"COPY score_lines ({', '.join(LINE_COLUMNS)}) FROM STDIN", buffer)


def _figures_upsert(dialect_insert):
    # One prebuilt statement for every move of subjects' figures, values as parameters
    # (built per call, a sum expression per figure cost more than all the rest of an
    # event), executed once for all the rows a batch moves: each row is created with its
    # move, or the move is added to it; it answers the new points, which is what a person
    # is told.
    statement = dialect_insert(quarter_totals)
    return (statement.on_conflict_do_update(
        index_elements=[quarter_totals.c.subject_kind, quarter_totals.c.quarter,
                        quarter_totals.c.subject_id],
        set_={f: getattr(quarter_totals.c, f) + getattr(statement.excluded, f)
              for f in domain.FIGURES})
        .returning(quarter_totals.c.subject_kind, quarter_totals.c.subject_id,
                   quarter_totals.c.quarter, quarter_totals.c.points))


_ADD_TO_FIGURES = {dialect: _figures_upsert(dialect_insert)
                   for dialect, dialect_insert in CONFLICT_INSERTS.items()}


def _apply_figures(uow, deltas: dict) -> dict:
    """Add each of ``deltas`` ({(kind, subject id, quarter): {figure: change}}) to its
    quarter_totals row, in one statement; the new points of each row. Rows are changed
    in one order everywhere: two instances scoring reports of one author would otherwise
    deadlock on that author's and unit's rows."""
    if not deltas:
        return {}
    moves = [dict(subject_kind=kind, subject_id=subject_id, quarter=quarter, **deltas[key])
             for key in sorted(deltas) for kind, subject_id, quarter in [key]]
    return {(row.subject_kind, row.subject_id, row.quarter): Decimal(str(row.points))
            for row in uow.execute(_ADD_TO_FIGURES[uow.db.engine.dialect.name], moves)}


def _figures_of(lines) -> dict:
    return domain.quarter_figures((l.subject_kind, l.subject_id, l.event, l.on, l.points)
                                  for l in lines)


class BatchScores:
    """What one batch of events does to the scores, written when the batch ends
    (``settle``): each report's lines replaced once, each quarter_totals row moved once,
    whatever number of the batch's events touched them."""

    def __init__(self, uow, report_ids):
        # The figures of each report's lines as stored, then as the batch leaves them.
        self.stored = {}
        if report_ids:
            for row in uow.execute(
                    select(score_lines.c.report_id, score_lines.c.subject_kind,
                           score_lines.c.subject_id, score_lines.c.event,
                           score_lines.c.event_date, score_lines.c.points)
                    .where(score_lines.c.report_id.in_(report_ids))):
                self.stored.setdefault(row.report_id, []).append(tuple(row)[1:])
        self.figures = {r: domain.quarter_figures(lines) for r, lines in self.stored.items()}
        self.rescored = {}  # report id -> its new lines
        # (report id, actor id, figures before, figures after, whether nobody is told), in order
        self.moves = []

    def recompute(self, uow, row, own_level: str, actor_id=None, quiet=False) -> None:
        """Replace a report's lines by those its current record (``row``, as the caller
        just read or wrote it) earns; ``quiet``: nobody is told (a past report imported)."""
        lines = domain.score_lines(_to_domain(row), load_rule_sets(uow), own_level)
        after = _figures_of(lines)
        self.moves.append((row.report_id, actor_id, self.figures.get(row.report_id, {}), after,
                           quiet))
        self.figures[row.report_id] = after
        self.rescored[row.report_id] = lines

    def settle(self, uow) -> None:
        """Write the new lines and move the quarter totals, in the same transaction as
        the records; tell each person whose points in a quarter changed, move by move,
        the total as it stood after that move."""
        replaced = sorted(set(self.stored) & set(self.rescored))
        if replaced:
            uow.execute(delete(score_lines).where(score_lines.c.report_id.in_(replaced)))
        _insert_lines(uow, [line for lines in self.rescored.values() for line in lines])
        deltas, steps = {}, []
        for report_id, actor_id, before, after, quiet in self.moves:
            step = {}
            for key in sorted(set(before) | set(after)):
                old, new = before.get(key), after.get(key)
                change = {f: (new[f] if new else 0) - (old[f] if old else 0)
                          for f in domain.FIGURES}
                if any(change.values()):
                    step[key] = change
                    total = deltas.setdefault(key, dict.fromkeys(domain.FIGURES, 0))
                    for f in domain.FIGURES:
                        total[f] += change[f]
            steps.append((report_id, actor_id, step, quiet))
        totals = _apply_figures(uow, deltas)
        # Each row's points before the batch; then forward, move by move.
        running = {key: totals[key] - deltas[key]["points"] for key in deltas}
        for report_id, actor_id, step, quiet in steps:
            for key, change in step.items():
                running[key] += change["points"]
                kind, person_id, quarter = key
                if quiet or kind != "person" or not change["points"] or quarter % 10 == 0:
                    continue  # people are told their quarter's total (the year's moves along)
                uow.emit(events.new_event(
                    "points_changed", actor_id, report_id, person_id=person_id,
                    period=f"{quarter // 10}-Q{quarter % 10}", points=float(running[key]),
                    previous_points=float(running[key] - change["points"])))


def _records_after(uow, after: str, batch: int) -> list:
    """The next ``batch`` report records in id order (rebuild and check walk them all)."""
    return uow.execute(select(report_records).where(report_records.c.report_id > after)
                       .order_by(report_records.c.report_id).limit(batch)).all()


def rebuild(db, own_level: str, batch: int = 2000, pause=lambda: None) -> int:
    """Recompute every report's lines from its stored record, a batch per transaction.
    Emits nothing: the points are the ones people were told already, or a rule change's."""
    done, after = 0, ""
    while True:
        with db.unit_of_work() as uow:
            # Waits for the event handlers at work and holds new ones off for one batch;
            # a second rebuild (another instance) takes turns batch by batch.
            lock(uow, REBUILD_KEY)
            rule_sets_ = load_rule_sets(uow)
            rows = _records_after(uow, after, batch)
            if not rows:
                break
            ids = [r.report_id for r in rows]
            uow.execute(delete(score_lines).where(score_lines.c.report_id.in_(ids)))
            _insert_lines(uow, [line for r in rows for line in
                                domain.score_lines(_to_domain(r), rule_sets_, own_level)])
            uow.commit()
        done += len(rows)
        after = ids[-1]
        pause()
    _retotal(db)
    return done


def _retotal(db) -> None:
    """Rebuild quarter_totals from every line (after a rebuild)."""
    with db.unit_of_work() as uow:
        # No event handler is between reading and writing its lines while this runs.
        lock(uow, REBUILD_KEY)
        if not db.is_sqlite:
            # Recomputes that commit while this runs wait for it, then apply their delta
            # to the new totals; none is lost or counted twice.
            uow.execute(text("LOCK TABLE quarter_totals IN EXCLUSIVE MODE"))
        uow.execute(delete(quarter_totals))
        figures = domain.quarter_figures(uow.execute(
            select(score_lines.c.subject_kind, score_lines.c.subject_id, score_lines.c.event,
                   score_lines.c.event_date, score_lines.c.points)))
        _bulk_totals(uow, figures)
        uow.commit()


def _bulk_totals(uow, figures) -> None:
    rows = [{"subject_kind": kind, "subject_id": sid, "quarter": quarter, **values}
            for (kind, sid, quarter), values in figures.items()]
    for start in range(0, len(rows), 10_000):
        uow.execute(insert(quarter_totals), rows[start:start + 10_000])


def check(db, own_level: str, batch: int = 2000) -> dict:
    """Prove the stored lines and quarter totals equal a recomputation from the records
    (docs/architecture.md), changing nothing: the reports whose lines differ, and the subjects and
    quarters whose totals differ from their lines."""
    drifted, checked, after = [], 0, ""
    while True:
        with db.unit_of_work(read_only=True) as uow:
            rule_sets_ = load_rule_sets(uow)
            rows = _records_after(uow, after, batch)
            if not rows:
                break
            ids = [r.report_id for r in rows]
            stored = {}
            for line in uow.execute(select(*[score_lines.c[c] for c in LINE_COLUMNS])
                                    .where(score_lines.c.report_id.in_(ids))):
                stored.setdefault(line.report_id, []).append(_comparable(tuple(line)))
        for row in rows:
            expected = sorted(_comparable(_line_values(line)) for line in
                              domain.score_lines(_to_domain(row), rule_sets_, own_level))
            if sorted(stored.get(row.report_id, [])) != expected:
                drifted.append(row.report_id)
        checked += len(rows)
        after = ids[-1]
    with db.unit_of_work(read_only=True) as uow:
        figures = domain.quarter_figures(uow.execute(
            select(score_lines.c.subject_kind, score_lines.c.subject_id, score_lines.c.event,
                   score_lines.c.event_date, score_lines.c.points)))
        kept = {(r.subject_kind, r.subject_id, r.quarter):
                {f: getattr(r, f) for f in domain.FIGURES}
                for r in uow.execute(select(quarter_totals))}
    zero = {f: 0 for f in domain.FIGURES}
    totals_drift = sorted(f"{k[0]}:{k[1]}:{k[2]}" for k in set(figures) | set(kept)
                          if _figures(figures.get(k, zero)) != _figures(kept.get(k, zero)))
    return {"reports_checked": checked, "drifted_reports": drifted,
            "drifted_totals": totals_drift, "ok": not drifted and not totals_drift}


def _comparable(line: tuple) -> tuple:
    """A line as stored or as computed, in one form (Decimal points, ISO dates)."""
    values = dict(zip(LINE_COLUMNS, line))
    values["points"] = str(Decimal(str(values["points"])).quantize(Decimal("0.01")))
    values["event_date"] = str(values["event_date"])
    return tuple(values[c] if values[c] is not None else "" for c in LINE_COLUMNS)


def _figures(values: dict) -> tuple:
    return tuple(str(Decimal(str(values[f])).quantize(Decimal("0.01"))) for f in domain.FIGURES)


def totals(db) -> dict:
    """What a rebuild must leave unchanged: line count and points per kind of subject."""
    with db.unit_of_work() as uow:
        rows = uow.execute(select(score_lines.c.subject_kind, func.count(),
                                  func.sum(score_lines.c.points))
                           .group_by(score_lines.c.subject_kind)).all()
    return {kind: {"lines": count, "points": float(points or 0)} for kind, count, points in rows}


def on_report_events(db, settings, *events) -> None:
    def before(uow, batch):
        # Concurrent events about one report apply one at a time: the record is read,
        # changed and its lines replaced under the report's lock. The batch's locks are
        # taken, and then its records read, once for all its events.
        ids = list(dict.fromkeys(event["report"]["id"] for event in batch))
        lock(uow, REBUILD_KEY, shared=True)
        lock(uow, *(f"scoring:report:{report_id}" for report_id in ids))
        records = uow.memo["records"] = dict.fromkeys(ids)
        records.update((row.report_id, row) for row in uow.execute(
            select(report_records).where(report_records.c.report_id.in_(ids))))
        uow.memo["scores"] = BatchScores(uow, [i for i in ids if records[i] is not None])
        uow.memo["records created"] = set()

    def after(uow, batch):
        created, records = uow.memo["records created"], uow.memo["records"]
        if created:  # as the batch's last event on each left it
            uow.execute(insert(report_records), [vars(records[i]) for i in sorted(created)])
        uow.memo["scores"].settle(uow)

    def apply(uow, event):
        report, kind, at = event["report"], event["event_type"], event["occurred_at"]
        records = uow.memo["records"]  # as this batch left each record so far
        row = records[report["id"]]
        who = {"author_id": report["author_id"], "co_author_ids": report["co_author_ids"],
               "unit_id": report["unit_id"], "submitted_on": report.get("received_on")
               or officetime.office_date(report["submitted_at"]),
               "title": report["title"],
               "consent_to_publish": report.get("consent_to_publish", True)}
        created = row is None
        if created:
            # Any event carries the whole record, so the first to arrive creates it: as
            # a submitted report, then changed by this event below, in one INSERT.
            row = SimpleNamespace(report_id=report["id"], status="submitted",
                                  status_at=report["submitted_at"], decision=None, outcomes={},
                                  declined_ids=None, **who)
        # Co-authors who left (退出联名) stay out, whatever a record written before says.
        declined = set(decode_json(row.declined_ids) or [])
        if kind == "report_co_author_declined":
            declined.add(event["person_id"])
        who["co_author_ids"] = [p for p in who["co_author_ids"] if p not in declined]
        values = {}
        if kind == "report_imported":
            # A past report as it ended: scored by its own dates and the rules then.
            values.update(status=event["status"], status_at=at, **who)
            if event["status"] in ("adopted", "retained"):
                values["decision"] = {"kind": event["status"], "mode": event.get("mode"),
                                      "on": event["decided_on"].isoformat()}
            values["outcomes"] = {f"{event['event_id']}:{n}": {
                k: (v.isoformat() if isinstance(v, date) else v) for k, v in o.items()}
                for n, o in enumerate(event["outcomes"])}
        elif kind == "report_co_author_declined":
            values.update(declined_ids=sorted(declined), co_author_ids=[
                p for p in decode_json(row.co_author_ids) if p not in declined])
        elif kind in OUTCOMES:
            outcome = {k: (v.isoformat() if isinstance(v, date) else v)
                       for k, v in event["outcome"].items()}
            values["outcomes"] = {**(decode_json(row.outcomes) or {}),
                                  event["event_id"]: outcome}
        elif kind == "report_withdrawn" and row.status in FINAL:
            pass  # review decided first and ignores the withdrawal; so do we
        elif at >= row.status_at or (row.status == "withdrawn" and DECISIONS[kind] in FINAL):
            status = DECISIONS[kind]
            values.update(status=status, status_at=at, **who)
            if status in ("adopted", "retained"):
                on = event.get("decided_on") or officetime.office_date(at)
                values["decision"] = {"kind": status, "mode": event.get("mode"),
                                      "on": on.isoformat()}
            elif status in ("returned", "rejected", "withdrawn"):
                values["decision"] = None
        created_now = uow.memo["records created"]  # inserted when the batch ends
        if created or report["id"] in created_now:
            created_now.add(report["id"])
            row = SimpleNamespace(**{**vars(row), **values})
        elif values:
            row = uow.execute(update(report_records).where(
                report_records.c.report_id == report["id"]).values(**values)
                .returning(*report_records.c)).one()
        records[report["id"]] = row
        uow.memo["scores"].recompute(uow, row, settings.level, event["actor_id"],
                                     quiet=kind == "report_imported")
    handle_each(db, "scoring", events, apply, before, after)


DIRECTORY = DirectoryCopy("scoring", people, lambda person: {
    "display_name": person["display_name"], "roles": person["roles"],
    "unit_ids": person["unit_ids"], "active": person["active"],
    "is_member": "member" in person["roles"], "is_officer": "officer" in person["roles"]},
    units)


def on_directory_events(db, *events) -> None:
    DIRECTORY.consume(db, events)
