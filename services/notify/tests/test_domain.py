"""Who is told of what, without a database."""
from services.notify import domain

PEOPLE = [("author", ["member"], ["u1"]), ("co", ["officer"], ["u1"]),
          ("admin-u1", ["unit_admin"], ["u1"]), ("admin-u2", ["unit_admin"], ["u2"]),
          ("editor", ["editor"], []), ("town", ["unit_admin"], ["town"])]


def told(event, audience="default"):
    asked = []

    def active_people():
        asked.append(True)
        return PEOPLE
    return domain.recipients(event, audience, active_people), bool(asked)


def report_event(kind, unit_id="u1"):
    return {"event_type": kind, "report": {"author_id": "author", "unit_id": unit_id,
                                           "co_author_ids": ["co", "author"]}}


def test_an_adoption_reaches_everyone_credited_and_the_units_admins_each_once():
    assert told(report_event("report_adopted")) == (["author", "co", "admin-u1"], True)
    assert told(report_event("report_outcome_recorded", unit_id=None))[0] == ["author", "co"]


def test_a_return_reaches_the_author_alone_without_asking_who_is_who():
    assert told(report_event("report_returned")) == (["author"], False)


def test_personal_and_office_wide_notices():
    assert told({"event_type": "points_changed", "person_id": "co"}) == (["co"], False)
    assert told({"event_type": "bulletin_published"})[0] == ["admin-u1", "admin-u2", "town"]
    assert told(report_event("report_submitted"), "editors")[0] == ["editor"]
    handed = {"event_type": "handoff_created", "handoff": {"unit_id": "town",
                                                            "created_by": "editor"}}
    assert told(handed, "handoff")[0] == ["town"]
    assert told(handed, "handoff_creator") == (["editor"], False)


def test_a_report_entered_on_behalf_reaches_its_author_and_a_naming_its_co_authors():
    event = report_event("report_submitted")
    assert told(event, "author") == (["author"], False)
    assert told(event, "co_authors") == (["co", "author"], False)


def test_a_co_author_leaving_is_told_to_the_author_alone():
    assert told(report_event("report_co_author_declined")) == (["author"], False)


def test_a_commission_reaches_its_person_or_its_units_admins_and_a_notice_everyone():
    def commission(person_id=None, unit_id=None):
        return {"event_type": "commission_issued", "commission": {
            "id": "c1", "person_id": person_id, "unit_id": unit_id, "title": "约稿一篇",
            "due_on": "2026-12-20"}}
    assert told(commission(person_id="co")) == (["co"], False)
    assert told(commission(unit_id="u2"))[0] == ["admin-u2"]
    assert told({"event_type": "notice_published", "notice_id": "n1", "title": "通知"})[0] == [
        person for person, _, _ in PEOPLE]
