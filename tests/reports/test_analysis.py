"""Analysis functions against hand-worked reference numbers (no database needed). Suppression is
tested in test_disclosure.py; the estimates in test_estimates.py."""

import math

import pandas as pd
import pytest

from reports.analysis import measure_chart, wilson_interval
from reports.disclosure import safe_cells

MEASURES = {
    "re-referrals": ("Re-referrals within 12 months", "percentage", "lower"),
    "cp-rate": ("Child protection plan rate", "rate_10k", "lower"),
    "entries": ("Entries to care", "count", "lower"),
    "eet": ("Care leavers in education, employment or training", "percentage", "higher"),
    "assessment-days": ("Assessment duration", "days", "lower"),
}


def frame(*rows) -> pd.DataFrame:
    """Rows of (measure_code, "YYYY-MM", group, value, numerator, denominator[, approved])."""
    records = []
    for code, month, group, value, numerator, denominator, *approved in rows:
        name, unit, polarity = MEASURES[code]
        start = pd.Timestamp(f"{month}-01")
        records.append(
            {
                "measure_code": code,
                "measure_name": name,
                "unit": unit,
                "polarity": polarity,
                "period_start": start,
                "period_end": start + pd.offsets.MonthEnd(0),
                "group": group,
                "value": value,
                "numerator": numerator,
                "denominator": denominator,
                "approved": approved[0] if approved else True,
            }
        )
    result = pd.DataFrame(records)
    result["numerator"] = result["numerator"].astype("Int64")
    result["denominator"] = result["denominator"].astype("Int64")
    return result


# --- Wilson score interval ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("successes", "trials", "low", "high"),
    [
        # Newcombe RG (1998) "Two-sided confidence intervals for the single proportion: comparison
        # of seven methods", Statistics in Medicine 17:857-872, Table II, method 3 (score interval
        # without continuity correction), its four worked examples.
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0000, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_interval_matches_newcombe_1998(successes, trials, low, high):
    result = wilson_interval(successes, trials)
    assert result == (pytest.approx(low, abs=5e-5), pytest.approx(high, abs=5e-5))


def test_wilson_interval_stays_within_zero_and_one_at_the_extremes():
    assert wilson_interval(0, 20)[0] == 0.0
    assert wilson_interval(20, 20)[1] == 1.0
    assert wilson_interval(20, 20)[0] == pytest.approx(1 - 0.1611, abs=5e-5)  # mirror of 0/20


@pytest.mark.parametrize(("successes", "trials"), [(1, 0), (-1, 10), (11, 10)])
def test_wilson_interval_rejects_impossible_counts(successes, trials):
    with pytest.raises(ValueError):
        wilson_interval(successes, trials)


# --- Chart -------------------------------------------------------------------------------------


def chart_data():
    return safe_cells(
        frame(
            ("re-referrals", "2023-04", "intervention", 22.0, 22, 100),
            ("re-referrals", "2023-05", "intervention", 7.5, 3, 40),  # hidden: a gap
            ("re-referrals", "2023-06", "intervention", 18.5, 37, 200),
            ("re-referrals", "2023-04", "comparison", 25.0, 30, 120),
            ("re-referrals", "2023-06", "comparison", 22.0, 33, 150),
            ("re-referrals", "2023-04", "all", 23.6, 52, 220),
            ("re-referrals", "2023-06", "all", 20.0, 70, 350),
            ("entries", "2023-04", "all", 11.0, None, None),
        ),
        threshold=5,
    ).frame


def test_chart_has_one_line_per_group_told_apart_without_colour():
    fig = measure_chart(chart_data(), "re-referrals")
    assert [trace.name for trace in fig.data] == ["Intervention", "Comparison", "All children"]
    assert [trace.line.color for trace in fig.data] == ["#1d70b8", "#f47738", "#505a5f"]
    assert len({trace.line.dash for trace in fig.data}) == 3
    assert len({trace.marker.symbol for trace in fig.data}) == 3
    assert fig.layout.title.text == "Re-referrals within 12 months"
    assert fig.layout.yaxis.title.text == "Percentage"


def test_chart_leaves_a_gap_for_a_suppressed_point():
    intervention = measure_chart(chart_data(), "re-referrals").data[0]
    assert list(pd.to_datetime(intervention.x)) == [pd.Timestamp(f"2023-0{m}-01") for m in (4, 5, 6)]
    assert intervention.y[0] == 22.0 and math.isnan(intervention.y[1]) and intervention.y[2] == 18.5
    assert intervention.connectgaps is False


@pytest.mark.parametrize(
    ("code", "axis"),
    [("cp-rate", "Rate per 10,000 children"), ("eet", "Percentage"), ("assessment-days", "Days"), ("entries", "Count")],
)
def test_chart_axis_is_titled_by_unit(code, axis):
    data = safe_cells(frame((code, "2023-04", "all", 50.0, None, None)), threshold=5).frame
    assert measure_chart(data, code).layout.yaxis.title.text == axis


def test_chart_refuses_data_that_has_not_been_suppressed():
    raw = frame(("entries", "2023-04", "all", 3.0, None, None))
    with pytest.raises(ValueError, match="safe_cells"):
        measure_chart(raw, "entries")


def test_chart_title_shows_markup_in_a_name_as_text():
    data = chart_data()
    data["measure_name"] = "Plans <b>ending</b> & restarting"
    assert measure_chart(data, "re-referrals").layout.title.text == "Plans &lt;b&gt;ending&lt;/b&gt; &amp; restarting"
