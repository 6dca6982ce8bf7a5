"""Art. 12(3) as the ICO counts it: day of receipt is day one, same date next month or that month's last day,
the clock stops while waiting for the subject, one extension with a notice inside the first month."""

from __future__ import annotations

from datetime import date

import pytest

from auditor.dsar import deadlines
from auditor.dsar.deadlines import ClockStop, Extension, compute_deadline
from auditor.dsar.errors import DeadlineError, ExtensionRefused


@pytest.mark.parametrize(("received", "due"), [
    (date(2025, 9, 3), date(2025, 10, 3)),  # the ICO's own example: not a flat 30 days (that would be 3 Oct too)
    (date(2025, 1, 31), date(2025, 2, 28)),  # 31 January: February has no 31st
    (date(2024, 1, 31), date(2024, 2, 29)),  # ... and in a leap year its last day is the 29th
    (date(2024, 2, 29), date(2024, 3, 29)),  # received on a leap day
    (date(2025, 1, 30), date(2025, 2, 28)),
    (date(2025, 3, 31), date(2025, 4, 30)),
    (date(2025, 12, 31), date(2026, 1, 31)),  # across the year end
    (date(2025, 2, 28), date(2025, 3, 28)),  # not the month's end: same date, not 31 March
])
def test_one_month_from_receipt(received: date, due: date) -> None:
    deadline = compute_deadline(received, today=received)
    assert deadline.due == due == deadline.base_due
    assert deadline.running and not deadline.extended and deadline.paused_days == 0


def test_not_a_flat_thirty_days() -> None:
    assert compute_deadline(date(2025, 1, 1), today=date(2025, 1, 1)).due == date(2025, 2, 1)  # 31 days
    assert compute_deadline(date(2025, 2, 1), today=date(2025, 2, 1)).due == date(2025, 3, 1)  # 28 days


def test_days_left_counts_down_to_zero_on_the_due_date_and_goes_negative() -> None:
    deadline = compute_deadline(date(2025, 1, 31), today=date(2025, 2, 1))
    assert deadline.days_left(date(2025, 2, 1)) == 27
    assert deadline.days_left(date(2025, 2, 28)) == 0
    assert deadline.days_left(date(2025, 3, 3)) == -3


def test_a_clock_stop_adds_the_days_waited() -> None:
    stop = ClockStop(deadlines.CLARIFICATION, date(2025, 3, 12), date(2025, 3, 20))
    deadline = compute_deadline(date(2025, 3, 10), [stop], today=date(2025, 3, 25))
    assert deadline.paused_days == 8
    assert deadline.base_due == deadline.due == date(2025, 4, 18)  # 10 April + 8 days
    assert deadline.running


def test_asking_for_identity_on_the_day_of_receipt_starts_the_month_when_it_arrives() -> None:
    stop = ClockStop(deadlines.IDENTITY, date(2025, 3, 10), date(2025, 3, 17))
    assert compute_deadline(date(2025, 3, 10), [stop], today=date(2025, 3, 17)).due == date(2025, 4, 17)


def test_an_open_stop_moves_the_due_date_every_day_and_stops_reminders() -> None:
    stop = ClockStop(deadlines.IDENTITY, date(2025, 1, 31))
    on_day_5 = compute_deadline(date(2025, 1, 31), [stop], today=date(2025, 2, 5))
    on_day_6 = compute_deadline(date(2025, 1, 31), [stop], today=date(2025, 2, 6))
    assert not on_day_5.running
    assert (on_day_5.due, on_day_6.due) == (date(2025, 3, 5), date(2025, 3, 6))
    assert on_day_5.days_left(date(2025, 2, 5)) == on_day_6.days_left(date(2025, 2, 6))
    assert deadlines.alert_level(on_day_5, date(2025, 3, 5), reminder_days=7, escalation_days=3) == deadlines.NONE


def test_two_stops_add_up() -> None:
    stops = [ClockStop(deadlines.IDENTITY, date(2025, 5, 1), date(2025, 5, 4)),
             ClockStop(deadlines.CLARIFICATION, date(2025, 5, 10), date(2025, 5, 12))]
    assert compute_deadline(date(2025, 5, 1), stops, today=date(2025, 5, 20)).due == date(2025, 6, 6)


@pytest.mark.parametrize(("stops", "message"), [
    ([ClockStop(deadlines.IDENTITY, date(2025, 1, 1), date(2025, 1, 3))], "before the request was received"),
    ([ClockStop(deadlines.IDENTITY, date(2025, 1, 9), date(2025, 1, 8))], "before it stopped"),
    ([ClockStop(deadlines.IDENTITY, date(2025, 1, 6), date(2025, 1, 9)),
      ClockStop(deadlines.CLARIFICATION, date(2025, 1, 8), date(2025, 1, 10))], "overlaps"),
    ([ClockStop(deadlines.IDENTITY, date(2025, 1, 6)),
      ClockStop(deadlines.CLARIFICATION, date(2025, 1, 8), date(2025, 1, 10))], "still open"),
    ([ClockStop("holiday", date(2025, 1, 6), date(2025, 1, 7))], "unknown reason"),
    ([ClockStop(deadlines.IDENTITY, date(2025, 2, 6))], "in the future"),
])
def test_impossible_stops_are_refused(stops: list[ClockStop], message: str) -> None:
    with pytest.raises(DeadlineError, match=message):
        compute_deadline(date(2025, 1, 5), stops, today=date(2025, 1, 20))


def test_extension_inside_the_first_month_gives_two_further_months() -> None:
    received = date(2025, 1, 31)
    first = compute_deadline(received, today=date(2025, 2, 20))
    extension = deadlines.check_extension(first, "  numerous requests across 9 platforms ", date(2025, 2, 20),
                                          today=date(2025, 2, 20))
    assert extension == Extension("numerous requests across 9 platforms", date(2025, 2, 20))
    extended = compute_deadline(received, extension=extension, today=date(2025, 2, 20))
    assert extended.extended and extended.base_due == date(2025, 2, 28)
    assert extended.due == date(2025, 4, 28)  # 28 February + two months (the earlier reading; never late)


def test_a_notice_on_the_last_day_of_the_first_month_is_in_time() -> None:
    first = compute_deadline(date(2024, 1, 31), today=date(2024, 2, 29))
    extension = deadlines.check_extension(first, "complex", date(2024, 2, 29), today=date(2024, 2, 29))
    assert compute_deadline(date(2024, 1, 31), extension=extension, today=date(2024, 2, 29)).due == date(2024, 4, 29)


def test_an_extension_noticed_late_is_refused() -> None:
    first = compute_deadline(date(2025, 1, 31), today=date(2025, 3, 1))
    with pytest.raises(ExtensionRefused, match="after the first month, which ended on 2025-02-28"):
        deadlines.check_extension(first, "complex", date(2025, 3, 1), today=date(2025, 3, 1))


def test_a_clock_stop_also_moves_the_last_day_for_the_notice() -> None:
    stop = ClockStop(deadlines.CLARIFICATION, date(2025, 1, 31), date(2025, 2, 4))
    first = compute_deadline(date(2025, 1, 31), [stop], today=date(2025, 3, 3))
    assert first.base_due == date(2025, 3, 4)
    extension = deadlines.check_extension(first, "complex", date(2025, 3, 3), today=date(2025, 3, 3))
    assert compute_deadline(date(2025, 1, 31), [stop], extension, today=date(2025, 3, 3)).due == date(2025, 5, 4)


@pytest.mark.parametrize(("reason", "notice", "message"), [
    ("", date(2025, 2, 10), "a reason is required"),
    ("   ", date(2025, 2, 10), "a reason is required"),
    ("complex", date(2025, 1, 30), "before the request was received"),
    ("complex", date(2025, 2, 12), "in the future"),
])
def test_an_extension_without_reason_or_with_a_bad_notice_date_is_refused(reason: str, notice: date,
                                                                         message: str) -> None:
    first = compute_deadline(date(2025, 1, 31), today=date(2025, 2, 10))
    with pytest.raises(ExtensionRefused, match=message):
        deadlines.check_extension(first, reason, notice, today=date(2025, 2, 10))


def test_a_second_extension_is_refused() -> None:
    extended = compute_deadline(date(2025, 1, 31), extension=Extension("complex", date(2025, 2, 2)),
                                today=date(2025, 2, 3))
    with pytest.raises(ExtensionRefused, match="already extended"):
        deadlines.check_extension(extended, "more", date(2025, 2, 3), today=date(2025, 2, 3))


@pytest.mark.parametrize(("today", "level"), [
    (date(2025, 2, 20), deadlines.NONE),
    (date(2025, 2, 21), deadlines.REMINDER),  # 7 days left
    (date(2025, 2, 25), deadlines.ESCALATION),  # 3 days left
    (date(2025, 2, 28), deadlines.ESCALATION),  # due today
    (date(2025, 3, 1), deadlines.OVERDUE),
])
def test_reminder_then_escalation_before_the_due_date(today: date, level: str) -> None:
    deadline = compute_deadline(date(2025, 1, 31), today=today)
    assert deadlines.alert_level(deadline, today, reminder_days=7, escalation_days=3) == level


def test_add_months_clamps_and_rolls_over_years() -> None:
    assert deadlines.add_months(date(2023, 11, 30), 3) == date(2024, 2, 29)
    assert deadlines.add_months(date(2025, 8, 31), 6) == date(2026, 2, 28)
    assert deadlines.add_months(date(2025, 5, 15), 12) == date(2026, 5, 15)
