"""Applying a batch of events once each: the claim of every event id commits with the
handler's writes."""
from .unit_of_work import Database


def handle_each(database: Database, service: str, events: list, handler, before=None,
                after=None) -> int:
    """Run ``handler(uow, event)`` for each of ``events`` that ``service`` has not handled
    yet (its claims are kept per event type, as "<service>.<event type>"): all in one
    transaction. ``before(uow, events)``, if given, runs first, once, with the events that
    will run, in the order they will: what a batch asks once instead of once per event
    (its reports' locks in one statement, their rows in one read); ``after(uow, events)``
    last, before the commit: what a batch writes once (rows several events changed).

    Each claim commits with the handler's writes: a redelivered or duplicated event
    (twice in one batch included) changes nothing. One transaction for a batch is one
    commit (one WAL flush, one fsync) instead of one per event; if any event fails, none
    is applied and the caller handles them again one by one. Returns how many ran.
    """
    # By the report each is about (arrival order within one report): handlers lock their
    # report, and batches that all lock in one order never wait for each other in a
    # circle (a deadlock costs PostgreSQL's deadlock_timeout, then every event alone).
    events = sorted(events, key=lambda each: each.get("report_id") or "")
    keyed = [((f"{service}.{each['event_type']}", each["event_id"]), each) for each in events]
    ran = 0
    with database.unit_of_work() as uow:
        fresh = uow.claim_all(key for key, _ in keyed)
        to_run = []
        for key, each in keyed:
            if key in fresh:
                fresh.discard(key)  # the same event twice in one batch: applied once
                to_run.append(each)
        if before is not None and to_run:
            before(uow, to_run)
        for each in to_run:
            handler(uow, each)
            ran += 1
        if after is not None and to_run:
            after(uow, to_run)
        uow.commit()
    return ran
