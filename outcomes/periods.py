"""Reporting periods: the whole months, quarters and financial years inside a plan's windows, and
the length of a period as a row gives it (one length per measure within an evaluation)."""

from datetime import date, timedelta

import pandas as pd

# Quarters are calendar quarters (which are also financial quarters); a year is a financial year,
# April to March, as local authorities report.
FREQUENCIES = {"monthly": "M", "quarterly": "Q-DEC", "annual": "Y-MAR"}


def periods_within(first: date, last: date, frequency: str) -> list[tuple[date, date]]:
    """Each whole period of ``frequency`` that starts on or after ``first`` and ends by ``last``."""
    if first > last:
        return []
    span = pd.period_range(first, last, freq=FREQUENCIES[frequency])
    periods = [(p.start_time.date(), p.end_time.date()) for p in span]
    return [(start, end) for start, end in periods if start >= first and end <= last]


def _months_between(start: date, end: date) -> int | None:
    """How many whole calendar months ``start``..``end`` covers, when it starts on the 1st and ends on
    the last day of a month; otherwise None."""
    if start.day != 1 or (end + timedelta(days=1)).day != 1:
        return None
    return (end.year - start.year) * 12 + end.month - start.month + 1


def period_length(start: date, end: date) -> str:
    """A period's length in words: "a month", "a quarter", "a year", "N months" or "N days"."""
    months = _months_between(start, end)
    if months is None:
        days = (end - start).days + 1
        return "1 day" if days == 1 else f"{days} days"
    return {1: "a month", 3: "a quarter", 12: "a year"}.get(months, f"{months} months")
