"""Sign-in codes in notify, on both databases: made only for the one active person with
the number, six digits, kept only as a salted hash (in no outbox or delivery), one use,
at most five wrong guesses, dead after five minutes, and a new code ends the old one."""
import json
from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import select, text, update

from minyi_common import events
from minyi_common.db import Database, utcnow
from minyi_common.testing import both_backends
from services.notify import handlers, login_codes
from services.notify.adapters.orm import deliveries, login_codes as codes_table, metadata
from tests.fake_sms import FakeSms

# Offices that set no default channels: email alone until a person chooses.
SETTINGS = SimpleNamespace(default_channels=())


def person(db, person_id, phone, active=True):
    handlers.on_directory_events(db, SETTINGS, events.parse_event(events.new_event(
        "directory.person_upserted", "admin", person={
            "id": person_id, "username": person_id, "display_name": person_id,
            "roles": ["member"], "unit_ids": [], "phone": phone, "active": active})))


@both_backends
def test_a_code_is_one_persons_hashed_single_use_and_short_lived(databases, tmp_path):
    db = Database(databases.url("notify"), metadata)
    fake = FakeSms("aliyun", tmp_path).start()
    settings = SimpleNamespace(sms_url=fake.url, sms_templates=json.dumps({"login_code": "L"}))
    try:
        person(db, "owner", "138 0013 8000")
        person(db, "left", "13900139000", active=False)
        person(db, "twin-a", "13700137000")
        person(db, "twin-b", "+8613700137000")  # a shared phone: whose account?

        def sent(phone):
            return [m["params"]["code"] for m in fake.received() if m.get("phone") == phone]

        for phone in ("13900139000", "13700137000", "12345"):
            login_codes.send_code(db, settings, phone)
            assert sent(phone) == []
        login_codes.send_code(db, settings, "13800138000")
        first = sent("13800138000")[-1]
        with db.engine.connect() as connection:
            stored = connection.execute(select(codes_table)).all()
            kept = " ".join(str(v) for row in stored for v in row)
            assert first not in kept and len(stored) == 1
            assert connection.execute(select(deliveries)).all() == []
            assert first not in " ".join(str(r) for r in connection.execute(
                text("SELECT * FROM outbox")).all())

        login_codes.send_code(db, settings, "13800138000")  # a new one ends the first
        second = sent("13800138000")[-1]
        if second != first:
            assert login_codes.check_code(db, "13800138000", first) is None
        assert login_codes.check_code(db, "13800138000", second) == "owner"
        assert login_codes.check_code(db, "13800138000", second) is None  # used

        login_codes.send_code(db, settings, "13800138000")
        third = sent("13800138000")[-1]
        wrong = f"{(int(third) + 1) % 10**6:06d}"
        for _ in range(login_codes.MAX_TRIES):
            assert login_codes.check_code(db, "13800138000", wrong) is None
        assert login_codes.check_code(db, "13800138000", third) is None  # too many guesses

        login_codes.send_code(db, settings, "13800138000")
        fourth = sent("13800138000")[-1]
        with db.engine.begin() as connection:
            connection.execute(update(codes_table).where(codes_table.c.used_at.is_(None))
                               .values(expires_at=utcnow() - timedelta(seconds=1)))
        assert login_codes.check_code(db, "13800138000", fourth) is None  # expired
    finally:
        fake.stop()
        db.dispose()
