"""The 24-working-hour deadline: weekdays in Helsinki; weekends and Finnish holidays stopped."""

from datetime import UTC, datetime, timedelta

import pytest

from moderation.deadlines import (
    HELSINKI,
    is_working_day,
    moderation_deadline,
    working_hours_between,
)


def hki(*args):
    return datetime(*args, tzinfo=HELSINKI)


@pytest.mark.parametrize(
    "submitted,due",
    [
        # The issue's own examples.
        (hki(2026, 1, 16, 15, 0), hki(2026, 1, 19, 15, 0)),  # Friday 15:00 → Monday 15:00
        (hki(2026, 1, 17, 10, 30), hki(2026, 1, 20, 0, 0)),  # Saturday → Tuesday 00:00
        (hki(2026, 1, 18, 23, 59), hki(2026, 1, 20, 0, 0)),  # Sunday night → Tuesday 00:00
        # Plain weekdays.
        (hki(2026, 1, 20, 9, 15), hki(2026, 1, 21, 9, 15)),  # Tuesday → Wednesday
        (hki(2026, 1, 22, 12, 0), hki(2026, 1, 23, 12, 0)),  # Thursday → Friday
    ],
)
def test_deadline_skips_weekends(submitted, due):
    assert moderation_deadline(submitted) == due


@pytest.mark.parametrize(
    "submitted,due",
    [
        # Midnight edges: the day a moment belongs to is the day it starts.
        (hki(2026, 1, 19, 0, 0), hki(2026, 1, 20, 0, 0)),  # Monday 00:00 exactly
        (hki(2026, 1, 17, 0, 0), hki(2026, 1, 20, 0, 0)),  # Saturday 00:00 exactly
        (hki(2026, 1, 16, 23, 59, 59), hki(2026, 1, 19, 23, 59, 59)),  # last second of Friday
        # Friday 00:00: all 24 hours fit in Friday, so the deadline is the end of Friday.
        (hki(2026, 1, 16, 0, 0), hki(2026, 1, 17, 0, 0)),
    ],
)
def test_deadline_at_midnight_edges(submitted, due):
    assert moderation_deadline(submitted) == due


@pytest.mark.parametrize(
    "submitted,due",
    [
        # Christmas 2025: 24 (Wed), 25, 26 holidays, then the weekend.
        (hki(2025, 12, 23, 12, 0), hki(2025, 12, 29, 12, 0)),
        # New Year's Day 2026 is a Thursday, Epiphany 6.1. a Tuesday.
        (hki(2025, 12, 31, 10, 0), hki(2026, 1, 2, 10, 0)),
        (hki(2026, 1, 5, 8, 0), hki(2026, 1, 7, 8, 0)),
        # Easter 2026: Good Friday 3.4., Easter Monday 6.4.
        (hki(2026, 4, 2, 16, 0), hki(2026, 4, 7, 16, 0)),
        # Midsummer Eve (Fri 19.6.2026) counts as a holiday in the holidays package.
        (hki(2026, 6, 18, 14, 0), hki(2026, 6, 22, 14, 0)),
        # Independence Day 6.12.2027 is a Monday.
        (hki(2027, 12, 3, 9, 0), hki(2027, 12, 7, 9, 0)),
        # Submitted on the holiday itself: the clock starts the next working day.
        (hki(2026, 5, 1, 11, 0), hki(2026, 5, 5, 0, 0)),  # May Day (Fri) → Tuesday 00:00
    ],
)
def test_deadline_skips_finnish_public_holidays(submitted, due):
    assert moderation_deadline(submitted) == due


def test_holidays_come_from_the_maintained_calendar():
    assert not is_working_day(hki(2026, 12, 6).date())  # Independence Day (a Sunday anyway)
    assert not is_working_day(hki(2026, 5, 14).date())  # Ascension Day, Thursday
    assert is_working_day(hki(2026, 5, 13).date())
    assert not is_working_day(hki(2030, 12, 25).date())  # any year, not a hand-written list


@pytest.mark.parametrize(
    "submitted,due,wall_hours",
    [
        # Spring forward on Sunday 29.3.2026 03:00 → 04:00: Friday 15:00 EET → Monday 15:00 EEST.
        (hki(2026, 3, 27, 15, 0), hki(2026, 3, 30, 15, 0), 71),
        # Fall back on Sunday 25.10.2026 04:00 → 03:00: Friday 15:00 EEST → Monday 15:00 EET.
        (hki(2026, 10, 23, 15, 0), hki(2026, 10, 26, 15, 0), 73),
        # Saturday before the change → Tuesday 00:00 local either way.
        (hki(2026, 3, 28, 12, 0), hki(2026, 3, 31, 0, 0), None),
        (hki(2026, 10, 24, 12, 0), hki(2026, 10, 27, 0, 0), None),
    ],
)
def test_deadline_across_dst_changes_keeps_wall_clock_time(submitted, due, wall_hours):
    deadline = moderation_deadline(submitted)
    assert deadline == due
    assert deadline.utcoffset() == due.utcoffset()
    assert working_hours_between(submitted, deadline) == 24
    if wall_hours is not None:
        assert (deadline.astimezone(UTC) - submitted.astimezone(UTC)) == timedelta(hours=wall_hours)


def test_deadline_accepts_any_timezone_and_answers_in_helsinki_time():
    submitted_utc = datetime(2026, 1, 16, 13, 0, tzinfo=UTC)  # 15:00 in Helsinki, a Friday
    deadline = moderation_deadline(submitted_utc)
    assert deadline == hki(2026, 1, 19, 15, 0)
    assert deadline.tzinfo == HELSINKI


def test_late_friday_utc_is_already_saturday_in_helsinki():
    # 22:30 UTC on Friday is 00:30 on Saturday in Helsinki: the weekend rule applies.
    assert moderation_deadline(datetime(2026, 1, 16, 22, 30, tzinfo=UTC)) == hki(2026, 1, 20, 0, 0)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        moderation_deadline(datetime(2026, 1, 16, 15, 0))


def test_working_hours_count_only_weekdays():
    assert working_hours_between(hki(2026, 1, 16, 15, 0), hki(2026, 1, 19, 15, 0)) == 24
    assert working_hours_between(hki(2026, 1, 17, 0, 0), hki(2026, 1, 19, 0, 0)) == 0
    assert working_hours_between(hki(2026, 1, 19, 10, 0), hki(2026, 1, 19, 13, 30)) == 3.5
    assert working_hours_between(hki(2026, 1, 19, 13, 30), hki(2026, 1, 19, 10, 0)) == -3.5
    assert working_hours_between(hki(2025, 12, 23, 0, 0), hki(2025, 12, 29, 0, 0)) == 24


def test_deadline_is_always_24_working_hours_after_submission():
    moment = hki(2025, 12, 1, 0, 0)
    while moment < hki(2027, 1, 10, 0, 0):
        deadline = moderation_deadline(moment)
        assert working_hours_between(moment, deadline) == pytest.approx(24)
        assert is_working_day((deadline - timedelta(microseconds=1)).astimezone(HELSINKI).date())
        moment += timedelta(hours=7, minutes=13)
