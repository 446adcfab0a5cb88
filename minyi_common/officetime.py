"""Office time (SPEC §12): which day, quarter and year a moment falls in is decided in the
office's time zone, ``MINYI_TIMEZONE`` (default Asia/Shanghai). Stored instants stay UTC;
only the calendar questions go through here, so 1 Oct 00:30 Beijing time is in Q4."""
import os
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Asia/Shanghai"


def zone() -> ZoneInfo:
    return ZoneInfo(os.environ.get("MINYI_TIMEZONE") or DEFAULT_ZONE)


def office_date(instant: datetime) -> date:
    """The office's calendar day of a moment (a naive one is taken as UTC)."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=timezone.utc)
    return instant.astimezone(zone()).date()


def today() -> date:
    return datetime.now(zone()).date()


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def start_of(day: date) -> datetime:
    """The UTC instant at which an office day begins."""
    return datetime(day.year, day.month, day.day, tzinfo=zone()).astimezone(timezone.utc)
