"""What the office asks for (docs/office-voice.md), without a database: a report's topic
and commission, a commission's addressee and day, and a commission's state."""
from datetime import date, datetime, timezone

import pytest

from minyi_common.errors import ValidationFailed
from services.intake import domain

TOPIC_2026 = {"id": "t", "year": 2026}
TO_PERSON = {"id": "c", "person_id": "author", "unit_id": None}
TO_UNIT = {"id": "c", "person_id": None, "unit_id": "u1"}
TODAY = date(2026, 12, 5)


def refused_at(call) -> set:
    with pytest.raises(ValidationFailed) as refused:
        call()
    return set(refused.value.errors)


def test_a_report_counts_in_the_year_it_was_handed_in_submitted_or_written():
    assert domain.counting_year({"received_on": date(2025, 12, 30)}) == 2025
    first = {"submitted_at": datetime(2025, 12, 31, 17, tzinfo=timezone.utc),
             "received_on": None}  # 1 January in Beijing
    assert domain.counting_year({}, first) == 2026


def test_a_topic_of_the_year_and_a_commission_to_the_author_or_their_unit_pass():
    domain.check_topic_and_commission({"topic_id": "t", "commission_id": "c"}, "author", [],
                                      2026, TOPIC_2026, TO_PERSON)
    domain.check_topic_and_commission({"commission_id": "c"}, "someone", ["u1"], 2026, None,
                                      TO_UNIT)


def test_a_wrong_topic_or_commission_is_refused_at_its_field():
    check = domain.check_topic_and_commission
    assert refused_at(lambda: check({"topic_id": "t"}, "a", [], 2027, TOPIC_2026, None)) == {
        "topic_id"}
    assert refused_at(lambda: check({"topic_id": "x"}, "a", [], 2026, None, None)) == {"topic_id"}
    assert refused_at(lambda: check({"commission_id": "c"}, "other", ["u2"], 2026, None,
                                    TO_PERSON)) == {"commission_id"}
    assert refused_at(lambda: check({"commission_id": "c"}, "other", [], 2026, None,
                                    TO_UNIT)) == {"commission_id"}


def test_a_commission_goes_to_an_active_person_or_a_unit_by_a_day_to_come():
    active, gone = {"active": True}, {"active": False}
    ok = {"person_id": "p", "unit_id": None, "due_on": TODAY, "topic_id": None}
    domain.check_commission(ok, TODAY, active, None, None)
    assert refused_at(lambda: domain.check_commission(ok, TODAY, gone, None, None)) == {
        "person_id"}
    assert refused_at(lambda: domain.check_commission(
        {**ok, "due_on": date(2026, 12, 4)}, TODAY, active, None, None)) == {"due_on"}
    assert refused_at(lambda: domain.check_commission(
        {**ok, "due_on": date(2028, 1, 1)}, TODAY, active, None, None)) == {"due_on"}
    assert refused_at(lambda: domain.check_commission(
        {**ok, "person_id": None, "unit_id": "u"}, TODAY, None, None, None)) == {"unit_id"}
    assert refused_at(lambda: domain.check_commission(
        {**ok, "topic_id": "t"}, TODAY, active, None, TOPIC_2026 | {"year": 2025})) == {
        "topic_id"}


def test_a_commission_is_answered_overdue_or_open():
    due = {"due_on": TODAY}
    assert domain.commission_state(due, datetime(2026, 12, 1), TODAY) == "answered"
    assert domain.commission_state(due, None, TODAY) == "open"  # due today: not yet late
    assert domain.commission_state(due, None, date(2026, 12, 6)) == "overdue"
