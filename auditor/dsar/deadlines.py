"""The Art. 12(3) GDPR time limit as the ICO counts it: pure date arithmetic, no I/O.

- The day of receipt is day one; the answer is due on the same date of the next month, or on that month's last
  day when it has no such date (received 31 January: due 28 February, 29 February in a leap year). Not a flat
  30 days.
- The clock stops while the controller waits for the subject's identity or a clarification: each stop runs
  from the day the controller asked (``stopped_on``) to the day the answer came (``resumed_on``), and those
  days are added to the due date. A stop still open is counted up to ``today`` (the due date then moves every
  day; ``Deadline.running`` is False).
- An extension by two further months needs a reason and a notice to the subject sent inside the first month
  (on or before the one-month due date, stops included). A notice sent later is refused, and so is a second
  extension. The extended due date is the one-month due date plus two months by the same month rule
  (received 31 January 2025: 28 February, extended to 28 April): the earlier of the two possible readings,
  so an answer on time by this date is on time by either.

Weekends and public holidays are not moved over (the ICO lets the deadline slip to the next working day; this
module keeps the stricter calendar date).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from auditor.dsar.errors import DeadlineError, ExtensionRefused

IDENTITY = "identity"
CLARIFICATION = "clarification"
STOP_REASONS = (IDENTITY, CLARIFICATION)
EXTENSION_MONTHS = 2

NONE, REMINDER, ESCALATION, OVERDUE = "none", "reminder", "escalation", "overdue"
ALERT_LEVELS = (NONE, REMINDER, ESCALATION, OVERDUE)


@dataclass(frozen=True, slots=True)
class ClockStop:
    """The controller waited for the subject from ``stopped_on`` to ``resumed_on`` (None: still waiting)."""

    reason: str
    stopped_on: date
    resumed_on: date | None = None


@dataclass(frozen=True, slots=True)
class Extension:
    """An Art. 12(3) extension: the reason given and the day the subject was told."""

    reason: str
    notice_on: date


@dataclass(frozen=True, slots=True)
class Deadline:
    """The computed time limit of one request on ``today``.

    ``base_due`` is the one-month limit with the stopped days added (the latest day an extension notice may
    go out); ``due`` is the limit that applies (extended or not). ``paused_days`` counts the days the clock
    stood still, an open stop up to ``today``.
    """

    received_on: date
    base_due: date
    due: date
    paused_days: int
    running: bool
    extended: bool

    def days_left(self, today: date) -> int:
        """Whole days from ``today`` to the due date (0 on the due date, negative once overdue)."""
        return (self.due - today).days


def add_months(day: date, months: int) -> date:
    """The same date ``months`` later, or that month's last day when it has no such date."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def one_month_due(received_on: date) -> date:
    """The plain one-month limit: received 3 September, due 3 October; received 31 January, due 28/29 February."""
    return add_months(received_on, 1)


def check_stops(received_on: date, stops: Iterable[ClockStop], today: date | None = None) -> list[ClockStop]:
    """The stops in date order; DeadlineError when one starts before receipt, ends before it starts, overlaps
    another, has an unknown reason, or more than one is open."""
    ordered = sorted(stops, key=lambda s: (s.stopped_on, s.resumed_on or date.max))
    previous_end: date | None = None
    for index, stop in enumerate(ordered):
        if stop.reason not in STOP_REASONS:
            raise DeadlineError(f"clock stop: unknown reason {stop.reason!r} (expected one of {STOP_REASONS})")
        if stop.stopped_on < received_on:
            raise DeadlineError(f"clock stop on {stop.stopped_on}: before the request was received ({received_on})")
        if stop.resumed_on is not None and stop.resumed_on < stop.stopped_on:
            raise DeadlineError(f"clock stop on {stop.stopped_on}: resumed on {stop.resumed_on}, before it stopped")
        if stop.resumed_on is None and index != len(ordered) - 1:
            raise DeadlineError(f"clock stop on {stop.stopped_on}: still open while a later stop exists")
        if previous_end is not None and stop.stopped_on < previous_end:
            raise DeadlineError(f"clock stop on {stop.stopped_on}: overlaps the stop before it")
        if today is not None and stop.stopped_on > today:
            raise DeadlineError(f"clock stop on {stop.stopped_on}: in the future (today is {today})")
        previous_end = stop.resumed_on
    return ordered


def paused_days(stops: Iterable[ClockStop], today: date) -> int:
    """Days the clock stood still; an open stop counts up to ``today``."""
    return sum(max(0, ((s.resumed_on or today) - s.stopped_on).days) for s in stops)


def compute_deadline(received_on: date, stops: Iterable[ClockStop] = (), extension: Extension | None = None,
                     *, today: date) -> Deadline:
    """The time limit of a request received on ``received_on`` (see the module docstring)."""
    ordered = check_stops(received_on, stops, today)
    paused = paused_days(ordered, today)
    base_due = one_month_due(received_on) + timedelta(days=paused)
    due = add_months(base_due, EXTENSION_MONTHS) if extension is not None else base_due
    running = not any(s.resumed_on is None for s in ordered)
    return Deadline(received_on=received_on, base_due=base_due, due=due, paused_days=paused, running=running,
                    extended=extension is not None)


def check_extension(deadline: Deadline, reason: str, notice_on: date, *, today: date) -> Extension:
    """The extension to record, or ExtensionRefused: no reason, a second extension, a notice before receipt,
    a notice dated after ``today`` (not sent yet) or after the first month (``deadline.base_due``)."""
    reason = (reason or "").strip()
    if deadline.extended:
        raise ExtensionRefused("extension refused: the request was already extended (Art. 12(3) allows one "
                               "extension of two further months)")
    if not reason:
        raise ExtensionRefused("extension refused: a reason is required (the request is complex or numerous, "
                               "and why)")
    if notice_on < deadline.received_on:
        raise ExtensionRefused(f"extension refused: notice date {notice_on} is before the request was received "
                               f"({deadline.received_on})")
    if notice_on > today:
        raise ExtensionRefused(f"extension refused: notice date {notice_on} is in the future (today is {today}); "
                               "record the notice once it is sent")
    if notice_on > deadline.base_due:
        raise ExtensionRefused(f"extension refused: the notice of {notice_on} came after the first month, which "
                               f"ended on {deadline.base_due}; Art. 12(3) requires telling the subject within "
                               "one month of receipt")
    return Extension(reason=reason, notice_on=notice_on)


def alert_level(deadline: Deadline, today: date, *, reminder_days: int, escalation_days: int) -> str:
    """``overdue`` after the due date, ``escalation`` within ``escalation_days`` of it, ``reminder`` within
    ``reminder_days``, else ``none``. A stopped clock does not alert (its due date moves while it waits)."""
    if not deadline.running:
        return NONE
    left = deadline.days_left(today)
    if left < 0:
        return OVERDUE
    if left <= escalation_days:
        return ESCALATION
    if left <= reminder_days:
        return REMINDER
    return NONE
