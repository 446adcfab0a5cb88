"""A batch of events in notify (one transaction): each event gets the deliveries it would
get alone, and the batch reads the webhook subscriptions once."""
from datetime import datetime, timezone
from types import SimpleNamespace

from sqlalchemy import event as sqlalchemy_event, insert, select

from minyi_common import events
from minyi_common.db import Database
from minyi_common.testing import both_backends
from services.notify import handlers
from services.notify.adapters.orm import deliveries, metadata, webhooks

SETTINGS = SimpleNamespace(smtp_url=None, sms_url=None, wecom_url=None, default_channels=(),
                           web_url="http://127.0.0.1:8000")


def report_event(kind, report_id):
    return events.parse_event(events.new_event(kind, "author", report_id, report={
        "id": report_id, "author_id": "author", "co_author_ids": [], "unit_id": None,
        "title": "关于加强农村饮水安全的建议", "category": "rural", "situation": "山村饮水困难。",
        "analysis": "管网老化。", "suggestions": "纳入预算。",
        "submitted_at": datetime.now(timezone.utc).isoformat()}))


@both_backends
def test_a_batch_gives_each_event_its_webhook_deliveries_and_reads_the_hooks_once(databases):
    db = Database(databases.url("notify"), metadata)
    try:
        with db.unit_of_work() as uow:
            for hook_id, types in (("h-submitted", ["report_submitted"]),
                                   ("h-withdrawn", ["report_withdrawn"])):
                uow.execute(insert(webhooks), dict(
                    id=hook_id, url=f"https://example.org/{hook_id}", event_types=types,
                    secret="fernet:x", created_by="admin",
                    created_at=datetime.now(timezone.utc)))
            uow.commit()
        batch = [report_event("report_submitted", "r1"), report_event("report_withdrawn", "r1"),
                 report_event("report_submitted", "r2")]
        statements = []
        sqlalchemy_event.listen(db.engine, "before_cursor_execute",
                                lambda *args: statements.append(args[2]))
        # The deliveries it queued wake the delivery loop; nothing went down a link.
        assert handlers.on_events(db, SETTINGS, *batch) == {"deliveries"}
        assert sum("FROM webhooks" in s for s in statements) == 1, statements
        with db.engine.connect() as connection:
            made = sorted((r.recipient, r.event_id) for r in connection.execute(
                select(deliveries.c.recipient, deliveries.c.event_id)
                .where(deliveries.c.channel == "webhook")))
        assert made == sorted([("h-submitted", batch[0]["event_id"]),
                               ("h-withdrawn", batch[1]["event_id"]),
                               ("h-submitted", batch[2]["event_id"])])
    finally:
        db.dispose()


@both_backends
def test_a_batch_that_queues_nothing_wakes_no_sending_loop(databases):
    db = Database(databases.url("notify"), metadata)
    try:
        # No webhook, no mail server: the author is told in the inbox alone.
        queued = handlers.on_events(db, SETTINGS, report_event("report_submitted", "r1"))
        assert queued == set()
        with db.engine.connect() as connection:
            assert connection.execute(select(deliveries.c.id)).first() is None
    finally:
        db.dispose()
