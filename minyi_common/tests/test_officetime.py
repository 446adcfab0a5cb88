"""Office time: the calendar is Beijing's (or MINYI_TIMEZONE's), instants stay UTC."""
from datetime import date, datetime, timezone

from minyi_common import officetime
from services.intake.domain import period_bounds

UTC = timezone.utc


def test_the_first_minutes_of_october_in_beijing_are_the_fourth_quarter():
    last_minute_q3 = datetime(2026, 9, 30, 15, 59, tzinfo=UTC)   # 30 Sep 23:59 Beijing
    first_minute_q4 = datetime(2026, 9, 30, 16, 0, tzinfo=UTC)   # 1 Oct 00:00 Beijing
    assert officetime.office_date(last_minute_q3) == date(2026, 9, 30)
    assert officetime.office_date(first_minute_q4) == date(2026, 10, 1)
    assert officetime.quarter_of(officetime.office_date(first_minute_q4)) == "2026-Q4"
    start, end = period_bounds("2026-Q4")
    assert start == first_minute_q4 and end == datetime(2026, 12, 31, 16, tzinfo=UTC)
    assert period_bounds("2026-Q3")[1] == first_minute_q4
    assert period_bounds("2026") == (datetime(2025, 12, 31, 16, tzinfo=UTC),
                                     datetime(2026, 12, 31, 16, tzinfo=UTC))


def test_another_office_zone_moves_the_boundary(monkeypatch):
    monkeypatch.setenv("MINYI_TIMEZONE", "UTC")
    assert officetime.office_date(datetime(2026, 9, 30, 16, 0, tzinfo=UTC)) == date(2026, 9, 30)
    assert period_bounds("2026-Q4")[0] == datetime(2026, 10, 1, tzinfo=UTC)
