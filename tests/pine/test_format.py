from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from pine.templatetags.govuk_format import govuk_date, govuk_datetime, govuk_time

UTC = ZoneInfo("UTC")


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2027, 1, 10, 17, 30, tzinfo=UTC), "10 January 2027 at 5:30pm GMT"),
        (datetime(2026, 7, 1, 11, 0, tzinfo=UTC), "1 July 2026 at midday BST"),  # 11:00 UTC is noon in summer
        (datetime(2026, 12, 31, 0, 0, tzinfo=UTC), "31 December 2026 at midnight GMT"),
        (datetime(2026, 3, 2, 9, 5, tzinfo=UTC), "2 March 2026 at 9:05am GMT"),
    ],
)
def test_dates_and_times_are_written_the_govuk_way_in_uk_time(moment, expected):
    assert govuk_datetime(moment) == expected


def test_empty_values_print_nothing():
    assert govuk_datetime(None) == govuk_date(None) == govuk_time(None) == ""
