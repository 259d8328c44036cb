"""The moderation deadline: 24 working hours, where working time is weekdays in Helsinki.

Helsinki promises that new statements are published "on weekdays within 24 hours". A working day
is a whole calendar day in Europe/Helsinki that is Monday–Friday and not a Finnish public holiday
(as the maintained ``holidays`` package lists them, Christmas Eve and Midsummer Eve included). The
clock runs through the whole working day, midnight to midnight, and stops on other days.

Arithmetic is done on absolute time (UTC), never on wall-clock time, so a day whose local length is
23 or 25 hours counts as exactly that long. In Finland the clocks change on the last Sundays of
March and October, so a DST change never falls inside working time; the deadline then shows the
same wall-clock time as the submission would have had, which is what residents read.

Pure functions with no Django import: the rule is testable on datetimes alone.
"""

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

HELSINKI = ZoneInfo("Europe/Helsinki")
WORKING_TIME_ALLOWED = timedelta(hours=24)
DUE_SOON = timedelta(hours=4)
# Far enough for any holiday season: the longest run of non-working days in Finland is five.
_MAX_DAYS_SCANNED = 60


@lru_cache(maxsize=64)
def _finnish_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("FI", years=year).keys())


def is_working_day(day: date) -> bool:
    """Monday–Friday and not a Finnish public holiday."""
    return day.weekday() < 5 and day not in _finnish_holidays(day.year)


def _aware(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware; got a naive datetime")
    return moment.astimezone(UTC)


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    """A Helsinki calendar day as an absolute [start, end) interval in UTC."""
    start = datetime(day.year, day.month, day.day, tzinfo=HELSINKI)
    following = day + timedelta(days=1)
    end = datetime(following.year, following.month, following.day, tzinfo=HELSINKI)
    return start.astimezone(UTC), end.astimezone(UTC)


def moderation_deadline(
    submitted_at: datetime, *, allowed: timedelta = WORKING_TIME_ALLOWED
) -> datetime:
    """When a statement submitted at ``submitted_at`` must be decided, in Helsinki time.

    Friday 15:00 → Monday 15:00; Saturday (any time) → Tuesday 00:00; the day before a holiday
    run jumps over it. ``submitted_at`` must be timezone-aware.
    """
    moment = _aware(submitted_at, "submitted_at")
    remaining = allowed
    day = moment.astimezone(HELSINKI).date()
    for _ in range(_MAX_DAYS_SCANNED + int(allowed / timedelta(days=1))):
        if is_working_day(day):
            start, end = _day_bounds(day)
            start = max(start, moment)
            available = end - start
            if remaining <= available:
                return (start + remaining).astimezone(HELSINKI)
            remaining -= available
        day += timedelta(days=1)
    raise RuntimeError("no working days found; the holiday calendar is broken")  # pragma: no cover


def working_time_between(start: datetime, end: datetime) -> timedelta:
    """Working time from ``start`` to ``end``; negative when ``end`` is earlier."""
    start, end = _aware(start, "start"), _aware(end, "end")
    if end < start:
        return -working_time_between(end, start)
    total = timedelta(0)
    day = start.astimezone(HELSINKI).date()
    last = end.astimezone(HELSINKI).date()
    while day <= last:
        if is_working_day(day):
            day_start, day_end = _day_bounds(day)
            overlap = min(day_end, end) - max(day_start, start)
            if overlap > timedelta(0):
                total += overlap
        day += timedelta(days=1)
    return total


def working_hours_between(start: datetime, end: datetime) -> float:
    """Working hours from ``start`` to ``end`` (negative when ``end`` is earlier)."""
    return working_time_between(start, end) / timedelta(hours=1)
