"""Keeping each report's record as intake's and review's events tell it, and replacing
its score lines and moving the quarter totals as the record changes."""
from datetime import date
from types import SimpleNamespace

from minyi_common import events, officetime
from minyi_common.contracts import DEFAULT_COAUTHOR_SHARE
from minyi_common.db import DirectoryCopy, decode_json, handle_each, lock, utcnow

from .. import domain
from ..adapters.orm import people, units
from ..adapters.repository import ScoringRepository, record_from_row

DECISIONS = {"report_returned": "returned", "report_retained": "retained",
             "report_rejected": "rejected", "report_adopted": "adopted",
             "report_submitted": "submitted", "report_resubmitted": "resubmitted",
             "report_withdrawn": "withdrawn"}
OUTCOMES = ("report_forwarded", "report_outcome_recorded")
# Events of intake's, whose record carries the report's topic (年度选题).
FROM_INTAKE = ("report_submitted", "report_resubmitted")
FINAL = ("adopted", "retained", "rejected")
# Event handlers hold this shared and their report's own key exclusively; each batch of a
# rebuild holds it exclusively. So a report's record and lines change one writer at a
# time, across threads, processes and instances (docs/architecture.md).
REBUILD_KEY = "scoring:rebuild"


def ensure_default_rules(db) -> None:
    """Install the default table (docs/scoring.md) as version 1 on first start."""
    with db.unit_of_work() as uow:
        repo = ScoringRepository(uow)
        if repo.last_rule_version():
            return
        repo.add_rule_set(dict(
            version=1, effective_from=date(2000, 1, 1),
            coauthor_share=DEFAULT_COAUTHOR_SHARE, created_at=utcnow(),
            rules=[{"event": r.event, "level": r.level, "mode": r.mode,
                    "points": str(r.points)} for r in domain.DEFAULT_RULES]))
        uow.commit()


def _figures_of(lines) -> dict:
    return domain.quarter_figures((l.subject_kind, l.subject_id, l.event, l.on, l.points)
                                  for l in lines)


class BatchScores:
    """What one batch of events does to the scores, written when the batch ends
    (``settle``): each report's lines replaced once, each quarter_totals row moved once,
    whatever number of the batch's events touched them."""

    def __init__(self, repo, report_ids):
        # The figures of each report's lines as stored, then as the batch leaves them.
        self.stored = repo.line_facts_of(report_ids)
        self.figures = {r: domain.quarter_figures(lines) for r, lines in self.stored.items()}
        self.rescored = {}  # report id -> its new lines
        # (report id, actor id, figures before, figures after, whether nobody is told), in order
        self.moves = []

    def recompute(self, repo, row, own_level: str, actor_id=None, quiet=False) -> None:
        """Replace a report's lines by those its current record (``row``, as the caller
        just read or wrote it) earns; ``quiet``: nobody is told (a past report imported)."""
        lines = domain.score_lines(record_from_row(row), repo.rule_sets(), own_level)
        after = _figures_of(lines)
        self.moves.append((row.report_id, actor_id, self.figures.get(row.report_id, {}), after,
                           quiet))
        self.figures[row.report_id] = after
        self.rescored[row.report_id] = lines

    def settle(self, repo) -> None:
        """Write the new lines and move the quarter totals, in the same transaction as
        the records; tell each person whose points in a quarter changed, move by move,
        the total as it stood after that move."""
        repo.forget_lines_of(sorted(set(self.stored) & set(self.rescored)))
        repo.add_lines([line for lines in self.rescored.values() for line in lines])
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
        totals = repo.add_to_totals(deltas)
        # Each row's points before the batch; then forward, move by move.
        running = {key: totals[key] - deltas[key]["points"] for key in deltas}
        for report_id, actor_id, step, quiet in steps:
            for key, change in step.items():
                running[key] += change["points"]
                kind, person_id, quarter = key
                if quiet or kind != "person" or not change["points"] or quarter % 10 == 0:
                    continue  # people are told their quarter's total (the year's moves along)
                repo.emit(events.new_event(
                    "points_changed", actor_id, report_id, person_id=person_id,
                    period=f"{quarter // 10}-Q{quarter % 10}", points=float(running[key]),
                    previous_points=float(running[key] - change["points"])))


def on_report_events(db, settings, *events) -> None:
    def before(uow, batch):
        # Concurrent events about one report apply one at a time: the record is read,
        # changed and its lines replaced under the report's lock. The batch's locks are
        # taken, and then its records read, once for all its events.
        ids = list(dict.fromkeys(event["report"]["id"] for event in batch))
        lock(uow, REBUILD_KEY, shared=True)
        lock(uow, *(f"scoring:report:{report_id}" for report_id in ids))
        repo = uow.memo["repository"] = ScoringRepository(uow)
        records = uow.memo["records"] = dict.fromkeys(ids)
        records.update(repo.records(ids))
        uow.memo["scores"] = BatchScores(repo, [i for i in ids if records[i] is not None])
        uow.memo["records created"] = set()

    def after(uow, batch):
        created, records = uow.memo["records created"], uow.memo["records"]
        repo = uow.memo["repository"]
        # The records the batch made, as its last event on each left them.
        repo.add_records([vars(records[i]) for i in sorted(created)])
        uow.memo["scores"].settle(repo)

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
                                  declined_ids=None, topic_id=None, topic_title=None, **who)
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
        if kind in FROM_INTAKE:  # the topic as its author chose it (review's copy has none)
            values.update(topic_id=report.get("topic_id"), topic_title=report.get("topic_title"))
        created_now = uow.memo["records created"]  # inserted when the batch ends
        if created or report["id"] in created_now:
            created_now.add(report["id"])
            row = SimpleNamespace(**{**vars(row), **values})
        elif values:
            row = uow.memo["repository"].change_record(report["id"], values)
        records[report["id"]] = row
        uow.memo["scores"].recompute(uow.memo["repository"], row, settings.level, event["actor_id"],
                                     quiet=kind == "report_imported")
    handle_each(db, "scoring", events, apply, before, after)


def on_handoff_events(db, *events) -> None:
    """Keep what the 通报 counts of each hand-off. Its events travel on separate queues
    and may come in any order, so each one fills in only what it knows."""
    def apply(uow, event):
        repo = ScoringRepository(uow)
        handoff, day = event["handoff"], officetime.office_date(event["occurred_at"])
        lock(uow, f"scoring:handoff:{handoff['id']}")
        row = repo.handoff_record(handoff["id"])
        new = row is None
        row = row or {"id": handoff["id"], "report_id": event["report"]["id"],
                      "unit_id": handoff["unit_id"], "handed_on": None, "replied_on": None,
                      "resolution": None, "rated_on": None, "rating": None}
        kind = event["event_type"]
        if kind == "handoff_created":
            row["handed_on"] = day
        elif kind == "handoff_replied":
            # Counted in the period of the first reply; the latest says how far it got.
            row["replied_on"] = min(filter(None, (row["replied_on"], day)))
            row["resolution"] = handoff.get("resolution") or row["resolution"]
        elif kind == "handoff_rated":
            row.update(rated_on=day, rating=handoff.get("rating"))
        repo.keep_handoff_record(row, new)
    handle_each(db, "scoring", events, apply)


DIRECTORY = DirectoryCopy("scoring", people, lambda person: {
    "display_name": person["display_name"], "roles": person["roles"],
    "unit_ids": person["unit_ids"], "active": person["active"],
    "is_member": "member" in person["roles"], "is_officer": "officer" in person["roles"]},
    units)


def on_directory_events(db, *events) -> None:
    DIRECTORY.consume(db, events)
