"""Analysis functions against hand-worked reference numbers (no database needed)."""

import math

import pandas as pd
import pytest

from reports.analysis import (
    SUMMARY_COLUMNS,
    direction,
    measure_chart,
    summarise,
    suppress_small_counts,
    wilson_interval,
)

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


def cell(result: pd.DataFrame, group: str, column: str, month: str = "2023-04"):
    match = result[(result["group"] == group) & (result["period_start"] == pd.Timestamp(f"{month}-01"))]
    assert len(match) == 1
    return match.iloc[0][column]


def one(summary: pd.DataFrame, code: str, group: str) -> pd.Series:
    match = summary[(summary["measure_code"] == code) & (summary["group"] == group)]
    assert len(match) == 1
    return match.iloc[0]


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


# --- Suppression -------------------------------------------------------------------------------


def test_it_hides_counts_below_the_threshold_but_not_zero_or_the_threshold():
    data = frame(
        ("re-referrals", "2023-04", "intervention", 0.0, 0, 40),
        ("re-referrals", "2023-05", "intervention", 2.5, 1, 40),
        ("re-referrals", "2023-06", "intervention", 10.0, 4, 40),
        ("re-referrals", "2023-07", "intervention", 12.5, 5, 40),
    )
    result = suppress_small_counts(data, threshold=5)
    assert result["numerator"].isna().tolist() == [False, True, True, False]
    assert (result["numerator"].iloc[0], result["numerator"].iloc[3]) == (0, 5)
    assert result["suppressed"].tolist() == [False, True, True, False]
    assert result["denominator"].tolist() == [40, 40, 40, 40]


def test_a_rate_from_a_hidden_numerator_or_denominator_is_hidden_too():
    data = frame(
        ("re-referrals", "2023-04", "intervention", 8.108, 3, 37),  # 3 in 37 would disclose the 3
        ("re-referrals", "2023-05", "intervention", 0.0, 0, 4),  # a denominator of 4 is itself small
    )
    result = suppress_small_counts(data, threshold=5)
    assert result["value"].isna().tolist() == [True, True]
    assert result["numerator"].isna().tolist() == [True, False]  # zero stays: it discloses nobody
    assert result["denominator"].isna().tolist() == [False, True]
    assert result["suppressed"].tolist() == [True, True]


def test_it_hides_small_values_of_count_measures_only():
    data = frame(
        ("entries", "2023-04", "intervention", 3.0, None, None),
        ("entries", "2023-05", "intervention", 0.0, None, None),
        ("assessment-days", "2023-04", "intervention", 3.0, None, None),  # 3 days is not 3 children
    )
    result = suppress_small_counts(data, threshold=5)
    assert result["value"].isna().tolist() == [True, False, False]
    assert result["suppressed"].tolist() == [True, False, False]


def test_the_threshold_is_respected():
    data = frame(("entries", "2023-04", "intervention", 7.0, None, None))
    assert not suppress_small_counts(data, threshold=5)["suppressed"].iloc[0]
    assert suppress_small_counts(data, threshold=10)["suppressed"].iloc[0]


def test_secondary_suppression_hides_the_other_group_so_the_total_cannot_be_differenced():
    data = frame(
        ("re-referrals", "2023-04", "intervention", 7.5, 3, 40),
        ("re-referrals", "2023-04", "comparison", 25.0, 20, 80),
        ("re-referrals", "2023-04", "all", 19.2, 23, 120),
        ("re-referrals", "2023-05", "intervention", 20.0, 8, 40),  # another period: untouched
        ("re-referrals", "2023-05", "comparison", 25.0, 20, 80),
        ("re-referrals", "2023-05", "all", 23.3, 28, 120),
    )
    result = suppress_small_counts(data, threshold=5)
    # 23 - 20 would give the intervention's 3: the comparison's 20 (and its rate) goes too.
    assert pd.isna(cell(result, "comparison", "numerator"))
    assert pd.isna(cell(result, "comparison", "value"))
    assert cell(result, "comparison", "denominator") == 80  # denominators were not small
    assert cell(result, "comparison", "suppressed")
    assert cell(result, "all", "numerator") == 23
    assert not cell(result, "all", "suppressed")
    assert not result[result["period_start"] == pd.Timestamp("2023-05-01")]["suppressed"].any()


def test_secondary_suppression_works_on_count_values():
    data = frame(
        ("entries", "2023-04", "intervention", 2.0, None, None),
        ("entries", "2023-04", "comparison", 9.0, None, None),
        ("entries", "2023-04", "all", 11.0, None, None),
    )
    result = suppress_small_counts(data, threshold=5)
    assert result["value"].isna().tolist() == [True, True, False]


def test_secondary_suppression_applies_to_denominators_too():
    data = frame(
        ("re-referrals", "2023-04", "intervention", 0.0, 0, 3),
        ("re-referrals", "2023-04", "comparison", 10.0, 9, 90),
        ("re-referrals", "2023-04", "all", 9.7, 9, 93),
    )
    result = suppress_small_counts(data, threshold=5)
    assert pd.isna(cell(result, "intervention", "denominator"))
    assert pd.isna(cell(result, "comparison", "denominator"))  # 93 - 90 would give the 3
    assert cell(result, "comparison", "numerator") == 9  # 9 - 9 = 0 discloses nobody
    assert cell(result, "all", "denominator") == 93


@pytest.mark.parametrize(
    ("rows", "column", "expected_hidden"),
    [
        pytest.param(  # no total to subtract from
            [
                ("entries", "2023-04", "intervention", 2.0, None, None),
                ("entries", "2023-04", "comparison", 9.0, None, None),
            ],
            "value",
            [True, False],
            id="no-all-group",
        ),
        pytest.param(  # both details already hidden: the total gives only their sum
            [
                ("entries", "2023-04", "intervention", 2.0, None, None),
                ("entries", "2023-04", "comparison", 3.0, None, None),
                ("entries", "2023-04", "all", 5.0, None, None),
            ],
            "value",
            [True, True, False],
            id="both-hidden",
        ),
        pytest.param(  # the total's numerator was never given
            [
                ("re-referrals", "2023-04", "intervention", 7.5, 3, 40),
                ("re-referrals", "2023-04", "comparison", 25.0, 20, 80),
                ("re-referrals", "2023-04", "all", 19.2, None, 120),
            ],
            "numerator",
            [True, False, True],
            id="total-not-given",
        ),
    ],
)
def test_secondary_suppression_leaves_cells_that_cannot_reveal_anything(rows, column, expected_hidden):
    result = suppress_small_counts(frame(*rows), threshold=5)
    assert result[column].isna().tolist() == expected_hidden


def test_suppression_is_idempotent_and_leaves_the_input_alone():
    data = frame(
        ("entries", "2023-04", "intervention", 2.0, None, None),
        ("entries", "2023-04", "comparison", 9.0, None, None),
        ("entries", "2023-04", "all", 11.0, None, None),
    )
    before = data.copy()
    once = suppress_small_counts(data, threshold=5)
    twice = suppress_small_counts(once, threshold=5)
    pd.testing.assert_frame_equal(once, twice)
    pd.testing.assert_frame_equal(data, before)
    assert "suppressed" not in data.columns


# --- Summary -----------------------------------------------------------------------------------


def test_summary_of_a_percentage_matches_hand_worked_numbers():
    data = frame(
        ("re-referrals", "2023-04", "intervention", 20.0, 10, 50),
        ("re-referrals", "2023-05", "intervention", 30.0, 12, 40),
        ("re-referrals", "2023-06", "intervention", 15.0, 9, 60),
    )
    row = one(summarise(data, threshold=5), "re-referrals", "intervention")
    assert row["periods"] == 3
    assert row["periods_suppressed"] == 0
    assert row["first_period"] == pd.Timestamp("2023-04-01")
    assert row["last_period"] == pd.Timestamp("2023-06-01")
    assert row["first_value"] == 20.0
    assert row["last_value"] == 15.0
    assert row["change"] == pytest.approx(-5.0)
    assert row["mean"] == pytest.approx(65 / 3)  # (20 + 30 + 15) / 3
    assert row["median"] == 20.0
    assert (row["min"], row["max"]) == (15.0, 30.0)
    assert (row["pooled_numerator"], row["pooled_denominator"]) == (31, 150)  # 10+12+9, 50+40+60
    assert row["pooled_rate"] == pytest.approx(100 * 31 / 150)  # 20.667%
    # Wilson by hand for 31/150: p = 0.206667, z^2 = 3.841459, 1 + z^2/n = 1.025610,
    # centre = (p + z^2/300) / 1.025610 = 0.213991, half = 1.911015 * sqrt(0.00113572) = 0.064402.
    assert row["ci_low"] == pytest.approx(14.9589, abs=1e-3)
    assert row["ci_high"] == pytest.approx(27.8394, abs=1e-3)
    assert row["direction"] == "improved"  # lower is better, and it fell


def test_summary_pools_rates_per_10000_without_an_interval():
    data = frame(
        ("cp-rate", "2023-04", "all", 40 / 9000 * 10_000, 40, 9000),
        ("cp-rate", "2023-05", "all", 50.0, 50, 10_000),
    )
    row = one(summarise(data, threshold=5), "cp-rate", "all")
    assert row["pooled_rate"] == pytest.approx(90 / 19_000 * 10_000)  # 47.368 per 10,000
    assert row["change"] == pytest.approx(50.0 - 44.4444, abs=1e-4)
    assert row["direction"] == "worsened"  # lower is better, and it rose
    assert math.isnan(row["ci_low"]) and math.isnan(row["ci_high"])


def test_summary_uses_only_the_figures_that_survive_suppression():
    data = frame(
        ("re-referrals", "2023-04", "intervention", 20.0, 10, 50),
        ("re-referrals", "2023-05", "intervention", 7.5, 3, 40),  # hidden: must not move any statistic
        ("re-referrals", "2023-06", "intervention", 20.0, 12, 60),
        ("entries", "2023-04", "intervention", 12.0, None, None),
        ("entries", "2023-05", "intervention", 3.0, None, None),
        ("entries", "2023-06", "intervention", 8.0, None, None),
    )
    summary = summarise(data, threshold=5)
    rate = one(summary, "re-referrals", "intervention")
    assert (rate["periods"], rate["periods_suppressed"]) == (3, 1)
    assert rate["mean"] == 20.0 and rate["min"] == 20.0
    assert (rate["pooled_numerator"], rate["pooled_denominator"]) == (22, 110)  # not 25 / 150
    assert rate["pooled_rate"] == pytest.approx(20.0)
    count = one(summary, "entries", "intervention")
    assert (count["first_value"], count["last_value"], count["change"]) == (12.0, 8.0, -4.0)
    assert (count["mean"], count["median"], count["min"], count["max"]) == (10.0, 10.0, 8.0, 12.0)
    assert count["direction"] == "improved"
    assert pd.isna(count["pooled_rate"])


def test_summary_first_and_last_are_the_first_and_last_periods_that_can_be_shown():
    data = frame(
        ("entries", "2023-04", "intervention", 2.0, None, None),  # hidden
        ("entries", "2023-05", "intervention", 10.0, None, None),
        ("entries", "2023-06", "intervention", 14.0, None, None),
        ("entries", "2023-07", "intervention", 1.0, None, None),  # hidden
    )
    row = one(summarise(data, threshold=5), "entries", "intervention")
    assert (row["first_period"], row["last_period"]) == (pd.Timestamp("2023-05-01"), pd.Timestamp("2023-06-01"))
    assert row["change"] == 4.0
    assert row["direction"] == "worsened"


def test_summary_has_one_row_per_measure_and_group_in_a_stable_order():
    data = frame(
        ("eet", "2023-04", "all", 50.0, 50, 100),
        ("eet", "2023-04", "comparison", 50.0, 25, 50),
        ("eet", "2023-04", "intervention", 50.0, 25, 50),
        ("entries", "2023-04", "all", 11.0, None, None),
    )
    summary = summarise(data, threshold=5)
    assert list(summary.columns) == SUMMARY_COLUMNS
    assert list(zip(summary["measure_code"], summary["group"])) == [
        ("eet", "intervention"),
        ("eet", "comparison"),
        ("eet", "all"),
        ("entries", "all"),
    ]


def test_a_single_period_or_an_all_suppressed_group_has_no_change_or_direction():
    data = frame(
        ("eet", "2023-04", "intervention", 50.0, 25, 50),
        ("entries", "2023-04", "intervention", 2.0, None, None),
    )
    summary = summarise(data, threshold=5)
    single = one(summary, "eet", "intervention")
    assert single["first_value"] == single["last_value"] == 50.0
    assert pd.isna(single["change"]) and single["direction"] is None
    hidden = one(summary, "entries", "intervention")
    assert (hidden["periods"], hidden["periods_suppressed"]) == (1, 1)
    assert pd.isna(hidden["first_value"]) and pd.isna(hidden["mean"]) and pd.isna(hidden["first_period"])


def test_summary_of_no_data_is_an_empty_frame_with_the_columns():
    empty = frame(("entries", "2023-04", "all", 11.0, None, None)).iloc[0:0]
    summary = summarise(empty, threshold=5)
    assert summary.empty
    assert list(summary.columns) == SUMMARY_COLUMNS


@pytest.mark.parametrize(
    ("change", "polarity", "expected"),
    [
        (2.0, "higher", "improved"),
        (-2.0, "higher", "worsened"),
        (-2.0, "lower", "improved"),
        (2.0, "lower", "worsened"),
        (0.0, "lower", "no change"),
        (math.nan, "lower", None),
    ],
)
def test_direction_follows_polarity(change, polarity, expected):
    assert direction(change, polarity) == expected


# --- Chart -------------------------------------------------------------------------------------


def chart_data():
    return suppress_small_counts(
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
    )


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
    data = suppress_small_counts(frame((code, "2023-04", "all", 50.0, None, None)), threshold=5)
    assert measure_chart(data, code).layout.yaxis.title.text == axis


def test_chart_refuses_data_that_has_not_been_suppressed():
    raw = frame(("entries", "2023-04", "all", 3.0, None, None))
    with pytest.raises(ValueError, match="suppress_small_counts"):
        measure_chart(raw, "entries")


def test_chart_title_shows_markup_in_a_name_as_text():
    data = chart_data()
    data["measure_name"] = "Plans <b>ending</b> & restarting"
    assert measure_chart(data, "re-referrals").layout.title.text == "Plans &lt;b&gt;ending&lt;/b&gt; &amp; restarting"
