"""Keeping cases in step with intake's events (and the similarity hints with them), and
the copy of the directory."""
from functools import partial

from minyi_common.db import DirectoryCopy, handle_each, lock, utcnow
from minyi_common.errors import NotFound

from .. import domain, similarity
from ..adapters.orm import people, units
from ..adapters.repository import ReviewRepository


STATUS_OF = {"report_submitted": "submitted", "report_resubmitted": "resubmitted",
             "report_withdrawn": "withdrawn"}
CASE_FIELDS = ("author_id", "co_author_ids", "unit_id", "title", "situation", "analysis",
               "suggestions", "category", "consent_to_publish", "urgent", "submitted_at",
               "entered_by", "received_on", "from_office", "credited")


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
        made = ReviewRepository(uow).make_cases(
            [dict(report_id=report_id, status=STATUS_OF[event["event_type"]], outcomes=[],
                  version=1, updated_at=utcnow(), intake_at=event["occurred_at"],
                  **{k: event["report"][k] for k in CASE_FIELDS})
             for report_id, event in firsts.items()])
        uow.memo["cases made by"] = {firsts[report_id]["event_id"] for report_id in made}

    def apply(uow, event):
        repo = ReviewRepository(uow)
        report = event["report"]
        kind, at = event["event_type"], event["occurred_at"]
        status = STATUS_OF[kind]
        created = event["event_id"] in uow.memo["cases made by"]
        if not created:  # a case that exists is read and changed
            existing = repo.case(report["id"], for_update=True)
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
                values.update(_credited({k: report[k] for k in CASE_FIELDS},
                                        existing["declined_ids"]))
            repo.change_case(report["id"], values)
        uow.memo["rows to add"].history.append(dict(
            report_id=report["id"], at=at, actor_id=event["actor_id"], action=status))
        if kind != "report_withdrawn":
            _note_similar(repo, index, report, pause, first_time=created)
    handle_each(db, "review", events, apply, before,
                lambda uow, batch: uow.memo["rows to add"].insert(uow, index))


def on_co_author_events(db, *events) -> None:
    """退出联名: a co-author left a report; they stay out of the case's co-authors, also
    when a (re)submission written before they left arrives after this."""
    def apply(uow, event):
        repo = ReviewRepository(uow)
        case = repo.case(event["report_id"], for_update=True)
        if case is None:  # its submission is still on its way: retried until it is here
            raise NotFound(f"no report {event['report_id']} in review")
        declined = sorted(set(case["declined_ids"] or []) | {event["person_id"]})
        repo.change_case(case["report_id"], dict(
            declined_ids=declined, updated_at=utcnow(),
            co_author_ids=[p for p in case["co_author_ids"] if p not in declined]))
        repo.add_history(dict(report_id=case["report_id"], at=event["occurred_at"],
                              actor_id=event["person_id"], action="co_author_declined",
                              comment=None))
    handle_each(db, "review", events, apply, lambda uow, batch: lock(
        uow, *(f"review:report:{event['report_id']}" for event in batch)))


def on_imported_events(db, *events) -> None:
    """A past report imported with its decision and outcomes (往期信息): its case, as it
    ended; made once whatever the replays."""
    def apply(uow, event):
        report, at = event["report"], event["occurred_at"]
        decision = None
        if event["status"] != "submitted":
            decision = {"kind": event["status"], "by": event["actor_id"],
                        "at": at.isoformat(), "comment": None, "imported": True}
            if event.get("mode"):
                decision["mode"] = event["mode"]
            if event.get("decided_on"):
                decision["decided_on"] = event["decided_on"].isoformat()
        outcomes = [{k: (v.isoformat() if hasattr(v, "isoformat") else v)
                     for k, v in o.items() if v is not None} for o in event["outcomes"]]
        repo = ReviewRepository(uow)
        if repo.make_case(dict(report_id=report["id"], status=event["status"],
                               outcomes=outcomes, decision=decision, version=1,
                               updated_at=utcnow(), intake_at=at,
                               **{k: report[k] for k in CASE_FIELDS})):
            repo.add_history(dict(report_id=report["id"], at=at, actor_id=event["actor_id"],
                                  action="imported", comment=None))
    handle_each(db, "review", events, apply, lambda uow, batch: lock(
        uow, *(f"review:report:{event['report_id']}" for event in batch)))


def _credited(case_fields: dict, declined) -> dict:
    """A record's fields for the case, without the co-authors who left it."""
    if declined:
        case_fields["co_author_ids"] = [p for p in case_fields["co_author_ids"]
                                        if p not in declined]
    return case_fields


class RowsToAdd:
    """Rows a batch of events only adds (history, similarity hints and docs), inserted
    once for the whole batch when it ends: a statement per table, not per event."""

    def __init__(self):
        self.history = []
        self.hints = {}  # report id -> its hints (a later event's replace an earlier's)
        self.docs = []  # (report id, sketch) new to the similarity feed, in index order

    def insert(self, uow, index) -> None:
        repo = ReviewRepository(uow)
        repo.add_history(*self.history)
        repo.add_hints([row for rows in self.hints.values() for row in rows])
        if self.docs:
            seqs = repo.add_to_similarity_feed(self.docs)
            # Caught up under the similarity lock, which this transaction holds until it
            # ends: nobody else adds docs meanwhile, so these need not be read back.
            index.last_seq = max(index.last_seq, *seqs)


def catch_up_batch(uow, index, batch=500) -> int:
    """Add to the index up to ``batch`` cases it has not seen, in feed order. Until the
    index is loaded they are only appended (``index.freeze`` makes them findable)."""
    repo = ReviewRepository(uow)
    rows = repo.similarity_feed_after(index.last_seq, batch)
    if not rows:
        return 0
    sketches = {row.report_id: row.sketch for row in rows}
    missing = [report_id for report_id, sketch in sketches.items() if sketch is None]
    if missing:  # fed before sketches were kept: worked out once, and kept
        made = {row.report_id: similarity.sketch_to_bytes(similarity.sketch(
            row.title, row.situation, row.analysis, row.suggestions))
            for row in repo.texts_for_sketches(missing)}
        repo.keep_sketches(made)
        sketches.update(made)
    keys = [row.report_id for row in rows if sketches[row.report_id] is not None]
    values = [similarity.sketch_from_bytes(sketches[key]) for key in keys]
    if index.loaded:
        for key, doc in zip(keys, values):
            index.add(key, doc)
    else:
        index.load(keys, values)
    index.last_seq = rows[-1].seq
    return len(rows)


LOAD_BATCH = 20_000


def catch_up(db, index, pause=lambda: None, batch=LOAD_BATCH) -> None:
    """Load the index at start (or catch a loaded one up): the feed a batch per
    transaction, pausing in between so that neither the broker heartbeats nor other
    workers wait; then the sketches are grouped by value at once."""
    with index.catching_up:
        while True:
            with db.unit_of_work() as uow:
                added = catch_up_batch(uow, index, batch)
                uow.commit()  # the sketches worked out for older rows, if any
            if added < batch:
                break
            pause()
        if not index.loaded:
            index.finish_loading()


def _note_similar(repo, index, report, pause, first_time=False) -> None:
    # One submission at a time from here to its commit (every instance): two similar
    # reports handled at once would each miss the other, not yet committed, and a burst
    # of reports on one matter is just when hints are wanted.
    uow = repo.uow
    lock(uow, "review:similarity")
    if "similarity caught up" not in uow.memo:
        # Not loaded yet (the instance is starting): waits for the load at start, or
        # loads it here if there is none (a handler called on its own).
        with index.catching_up:
            if not index.loaded:
                while catch_up_batch(uow, index, LOAD_BATCH) == LOAD_BATCH:
                    pause()
                index.finish_loading()
            # The index takes a batch's docs before they commit: if the batch rolls
            # back, it forgets them again.
            uow.undo["similarity index"] = partial(index.undo_to, index.mark())
            while catch_up_batch(uow, index) == 500:
                pause()
        uow.memo["similarity caught up"] = True
    doc = similarity.sketch(report["title"], report["situation"], report["analysis"],
                            report["suggestions"])
    hints = index.most_similar(doc, exclude=report["id"])
    to_add = uow.memo["rows to add"]
    if not first_time:  # a resubmission's hints are those of its new text, both ways
        repo.forget_hints(report["id"])
    to_add.hints[report["id"]] = [
        {"report_id": report["id"], "similar_report_id": other, "score": score}
        for other, score in hints]
    if report["id"] not in index:
        # In the index at once, for the batch's next reports; its doc row is inserted
        # with the batch's others when the batch ends.
        index.add(report["id"], doc)
        to_add.docs.append((report["id"], similarity.sketch_to_bytes(doc)))


DIRECTORY = DirectoryCopy("review", people, lambda person: {
    "display_name": person["display_name"], "unit_ids": person["unit_ids"],
    "roles": person["roles"]}, units)


def on_directory_events(db, *events) -> None:
    DIRECTORY.consume(db, events)
