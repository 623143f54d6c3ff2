"""Working days between two dates, as the standard timeliness measures count them: numpy
``busday_count(start, end)`` semantics (the weekdays from ``start`` up to but not including ``end``),
with England's bank holidays taken out. The holidays come from the maintained ``holidays`` package,
never a hand-kept list. Pure: no Django."""

from functools import lru_cache

import holidays
import numpy as np
import pandas as pd


@lru_cache(maxsize=32)
def england_bank_holidays(first_year: int, last_year: int) -> np.ndarray:
    """England's bank holidays from 1 January ``first_year`` to 31 December ``last_year``."""
    days = holidays.country_holidays("GB", subdiv="ENG", years=range(first_year, last_year + 1))
    return np.array(sorted(days), dtype="datetime64[D]")


def working_days(start, end) -> np.ndarray:
    """Working days from each ``start`` to its ``end`` (arrays or Series of dates of the same length):
    ``numpy.busday_count(start, end, holidays=England's bank holidays)``. A start on the day of the
    end gives 0, the next working day 1; an end before its start gives a negative count. Where
    either date is missing the answer is NaN."""
    start = pd.to_datetime(pd.Series(start).reset_index(drop=True), errors="coerce")
    end = pd.to_datetime(pd.Series(end).reset_index(drop=True), errors="coerce")
    answer = np.full(len(start), np.nan)
    known = (start.notna() & end.notna()).to_numpy()
    if not known.any():
        return answer
    first = start[known].to_numpy().astype("datetime64[D]")
    last = end[known].to_numpy().astype("datetime64[D]")
    years = pd.DatetimeIndex(np.concatenate([first, last])).year
    bank_holidays = england_bank_holidays(int(years.min()), int(years.max()))
    answer[known] = np.busday_count(first, last, holidays=bank_holidays)
    return answer
