"""Working days in England, as the statutory timeliness measures count them: weekends and England's
bank holidays excluded, counted with ``numpy.busday_count`` semantics (the start day counts if it
is a working day, the end day does not), so an assessment started and authorised on the same day
took 0 working days. Bank holidays come from the maintained ``holidays`` package (England's
calendar, substitute days included), never from a hand-kept list. Pure: no Django."""

from functools import lru_cache

import holidays
import numpy as np

FIRST_YEAR = 1990
LAST_YEAR = 2040


@lru_cache(maxsize=1)
def england_bank_holidays() -> np.ndarray:
    """England's bank holidays from 1990 to 2040, as ``datetime64[D]``."""
    days = holidays.country_holidays("GB", subdiv="ENG", years=range(FIRST_YEAR, LAST_YEAR + 1))
    return np.array(sorted(days), dtype="datetime64[D]")


@lru_cache(maxsize=1)
def _calendar() -> np.busdaycalendar:
    return np.busdaycalendar(weekmask="1111100", holidays=england_bank_holidays())


def working_days(start, end) -> np.ndarray:
    """Working days from each ``start`` to each ``end`` (arrays of dates or ``datetime64``);
    ``numpy.busday_count`` semantics. Missing dates (NaT) give -1: callers count those as not
    within any limit, and mask them out before they get here."""
    start = np.asarray(start, dtype="datetime64[D]")
    end = np.asarray(end, dtype="datetime64[D]")
    missing = np.isnat(start) | np.isnat(end)
    safe_start = np.where(missing, np.datetime64("2000-01-03"), start)
    safe_end = np.where(missing, np.datetime64("2000-01-03"), end)
    counted = np.busday_count(safe_start, safe_end, busdaycal=_calendar())
    return np.where(missing, -1, counted)
