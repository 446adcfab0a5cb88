"""After an upgrade that adds to person events, every person is published again once, so
that each service's copy learns what was added (notify: the mobile and the WeCom user ID)
for people saved before it, not only for those saved after (both databases)."""
import json

from sqlalchemy import delete, select

from minyi_common.db import Database
from minyi_common.testing import both_backends
from gateway import directory
from gateway.adapters.orm import metadata, settings


def person_events(db) -> list:
    with db.engine.connect() as connection:
        rows = connection.execute(select(db.outbox.c.event_type, db.outbox.c.body)
                                  .order_by(db.outbox.c.id)).all()
    return [json.loads(r.body)["person"] for r in rows
            if r.event_type == "directory.person_upserted"]


@both_backends
def test_people_saved_before_an_upgrade_are_published_again_once(databases):
    db = Database(databases.url("gateway"), metadata)
    try:
        directory.create_user(db, None, {
            "username": "laowang", "password": "pass-word-1", "display_name": "老王",
            "roles": ["member"], "phone": "13800138000", "wecom_userid": "LaoWang"})
        # As it was before this release: published, but nothing recorded of what with.
        with db.engine.begin() as connection:
            connection.execute(delete(settings).where(settings.c.key == "person_event_fields"))
        before = len(person_events(db))
        assert directory.republish_people_if_stale(db) == 1
        again = person_events(db)[before:]
        assert [(p["username"], p["phone"], p["wecom_userid"], p["version"]) for p in again] \
            == [("laowang", "13800138000", "LaoWang", 1)]
        # Recorded: the next start (or a second gateway) publishes nothing more.
        assert directory.republish_people_if_stale(db) == 0
        assert len(person_events(db)) == before + 1
    finally:
        db.dispose()
