"""Working days as the timeliness measures count them: numpy busday_count, England's bank holidays out."""

from datetime import date

import numpy as np
import pandas as pd

from returns.workdays import england_bank_holidays, working_days


def test_busday_count_semantics():
    # Monday to Friday of one week: 4 (the end day is not counted); Friday to Monday: 1.
    got = working_days(
        [date(2024, 6, 3), date(2024, 6, 7), date(2024, 6, 3)], [date(2024, 6, 7), date(2024, 6, 10), date(2024, 6, 3)]
    )
    assert list(got) == [4, 1, 0]


def test_england_bank_holidays_are_left_out():
    # 2023: Good Friday 7 April, Easter Monday 10 April, 1 May, the coronation on 8 May, 29 May.
    assert working_days([date(2023, 4, 3)], [date(2023, 6, 12)])[0] == 45
    assert np.busday_count("2023-04-03", "2023-06-12") == 50
    days = set(england_bank_holidays(2023, 2023).astype(str))
    assert {"2023-04-07", "2023-04-10", "2023-05-01", "2023-05-08", "2023-05-29", "2023-12-25"} <= days
    assert "2023-03-17" not in days  # St Patrick's Day is a holiday in Northern Ireland only


def test_missing_dates_give_nan_and_series_are_accepted():
    got = working_days(
        pd.Series([pd.Timestamp(2024, 1, 2), pd.NaT]), pd.Series([pd.Timestamp(2024, 1, 9), pd.Timestamp(2024, 1, 9)])
    )
    assert got[0] == 5 and np.isnan(got[1])
    assert len(working_days([], [])) == 0
