"""Office time (docs/office.md): which day, quarter and year a moment falls in is decided in the
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


# 届次 (docs/office.md): each term's years, for a member's record over a term (period=term:十五届).
# Terms differ from place to place; MINYI_TERMS sets them ("十五届=2021..2025,十六届=...").
DEFAULT_TERMS = "十四届=2016..2020,十五届=2021..2025,十六届=2026..2030"


def terms() -> dict:
    """{"十五届": "2021..2025"} from MINYI_TERMS; entries that do not parse are left out."""
    found = {}
    for entry in (os.environ.get("MINYI_TERMS") or DEFAULT_TERMS).split(","):
        name, _, years = entry.strip().partition("=")
        first, _, last = years.strip().partition("..")
        if name.strip() and first.isdigit() and last.isdigit() and first <= last:
            found[name.strip()] = f"{first}..{last}"
    return found


def current_term() -> str:
    """The term (period ``term:十六届``) the office's today falls in, else this year."""
    year = today().year
    for name, years in terms().items():
        first, _, last = years.partition("..")
        if int(first) <= year <= int(last):
            return f"term:{name}"
    return str(year)
