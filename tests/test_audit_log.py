"""The audit log (审计日志) over HTTP on a system started like `make run`, on SQLite and on
PostgreSQL: what is recorded (granted and refused), what is left out (secrets, views),
who may read it, its filters, and that the database itself keeps it append-only."""
import uuid

import pytest
import sqlalchemy

from minyi_common.db import make_engine

from .people import make_people
from .system import Api, assert_speaks_chinese


@pytest.fixture(scope="module")
def office(system):
    unit_id, people = make_people(system, zhang=["member"], zhao=["editor"])
    return {"unit_id": unit_id, "admin": system.admin(), "system": system, **people}


def entries(admin, **filters) -> list:
    query = "&".join(f"{k}={v}" for k, v in {"page_size": 200, **filters}.items())
    answer = admin.get(f"/audit?{query}")
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def test_sign_ins_and_their_failures_are_recorded_with_where_from(office):
    system = office["system"]
    name = f"a{uuid.uuid4().hex[:8]}"
    made = office["admin"].post("/users", {
        "username": name, "password": "password-123", "display_name": "审计甲",
        "roles": ["member"], "unit_ids": [office["unit_id"]]})
    assert made.status_code == 201, made.text
    failed = Api(system.base).post("/auth/login", {"username": name, "password": "wrong-one"})
    assert failed.status_code == 401
    Api(system.base).login(name, "password-123")

    logins = entries(office["admin"], actor=name, action="auth.login")
    assert [e["status"] for e in logins] == [200, 401]  # newest first
    good, bad = logins
    assert good["actor_id"] == made.json()["id"] and bad["actor_id"] is None
    assert bad["actor_name"] == name and bad["address"] == "127.0.0.1"
    assert bad["request_id"] and good["at"] > bad["at"]
    # The password tried is never written, wherever it sat in the body.
    assert bad["detail"]["body"]["password"] == "***"
    assert "wrong-one" not in str(logins)


def test_account_role_and_password_changes_name_who_did_them(office):
    admin = office["admin"]
    admin_id = admin.get("/me").json()["id"]
    person = office["zhang"]
    username = person.api.get("/me").json()["username"]
    answer = admin.patch(f"/users/{person.id}", {"roles": ["member", "officer"]})
    assert answer.status_code == 200, answer.text
    assert admin.post(f"/users/{person.id}/password-reset").status_code == 200

    changes = entries(admin, actor=admin_id, action="user.")
    reset, update = changes[0], changes[1]
    assert reset["action"] == "user.password_reset" and update["action"] == "user.update"
    assert update["target"] == f"user_id={person.id} ({username})"
    assert reset["target"] == update["target"]
    assert update["detail"]["body"] == {"roles": ["member", "officer"]}
    assert update["actor_name"] == "admin" and update["status"] == 200
    # The one-time password is in the answer only, never in the log.
    assert "one_time_password" not in str(reset["detail"])


def test_a_refused_attempt_is_recorded_and_a_view_is_not(office):
    admin, editor = office["admin"], office["zhao"]
    refused = editor.api.post("/scores/quotas", {"role": "member", "year": 2026, "count": 9})
    assert refused.status_code == 403
    tried = entries(admin, actor=editor.id, action="quota.set")
    assert [e["status"] for e in tried] == [403]

    # Looking at a bulletin is not a download; taking its file is.
    period = "2026-Q1"
    assert editor.api.get(f"/scores/bulletins/{period}").status_code == 200
    downloaded = editor.api.get(f"/scores/bulletins/{period}?format=xlsx")
    assert downloaded.status_code == 200
    taken = entries(admin, actor=editor.id, action="document.download")
    assert len(taken) == 1
    assert taken[0]["target"] == f"period={period}"
    assert taken[0]["detail"]["query"] == {"format": "xlsx"}


def test_only_admins_read_it_and_bad_filters_name_their_field(office):
    assert office["zhao"].api.get("/audit").status_code == 403
    assert office["admin"].get("/audit?page_size=1").status_code == 200
    admin = office["admin"]
    for query, field in (("from=2026-13-01", "from"), ("action=user.bogus", "action"),
                         ("from=2026-12-05&to=2026-12-01", "to")):
        answer = admin.get(f"/audit?{query}")
        assert answer.status_code == 422, answer.text
        problem = answer.json()
        assert field in problem["errors"]
        assert_speaks_chinese(problem)


def test_days_filter_by_the_office_calendar(office):
    admin = office["admin"]
    everything = entries(admin)
    assert everything, "earlier tests left entries"
    newest_day = everything[0]["at"][:10]
    assert entries(admin, **{"from": "2000-01-01", "to": "2000-12-31"}) == []
    # Today's entries (UTC+8 never moves an instant to an earlier office day).
    recent = entries(admin, **{"from": newest_day})
    assert recent and recent[0]["id"] == everything[0]["id"]


def test_the_database_refuses_to_change_or_delete_an_entry(office):
    url = office["system"].urls["gateway"]
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            count = connection.execute(sqlalchemy.text("SELECT count(*) FROM audit_log")).scalar()
            assert count > 0
        for statement in ("UPDATE audit_log SET status = 200",
                          "DELETE FROM audit_log"):
            with pytest.raises(sqlalchemy.exc.DatabaseError, match="append-only"):
                with engine.begin() as connection:
                    connection.execute(sqlalchemy.text(statement))
        with engine.connect() as connection:
            after = connection.execute(sqlalchemy.text("SELECT count(*) FROM audit_log")).scalar()
        assert after >= count
    finally:
        engine.dispose()
