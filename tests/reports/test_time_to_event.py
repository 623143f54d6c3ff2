"""Time to event: the Kaplan-Meier estimate against published reference values and lifelines, the
safe curve (coarsened so that no step stands for fewer children than the threshold, worked by hand),
and the evidence and results JSON of a time-to-event plan. Pure: no database."""

import json
import math
from datetime import date

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter
from lifelines.utils import median_survival_times

from reports import disclosure, evidence
from reports.disclosure import SurvivalStep, safe_curve, safe_time_to_event
from reports.estimates import AnalysisPlan, time_to_event

# Freireich et al. (1963) remission times in weeks, as tabulated by Gehan (1965) and in every
# survival textbook (Kleinbaum and Klein, "Survival analysis", ch. 2): 6-MP (21 children, 9
# relapses; "+" censored) and placebo (21, all relapsed). Published: medians 23 and 8 weeks,
# log-rank chi-square 16.79 (p = 4.2e-5), Kaplan-Meier S(10) = 0.753 for 6-MP and 8/21 for placebo.
SIX_MP = "6 6 6 6+ 7 9+ 10 10+ 11+ 13 16 17+ 19+ 20+ 22 23 25+ 32+ 32+ 34+ 35+".split()
PLACEBO = "1 1 2 2 3 4 4 5 5 8 8 8 8 11 11 12 12 15 17 22 23".split()
START = pd.Timestamp("2024-01-01")


def freireich() -> pd.DataFrame:
    rows = []
    for group, times in (("intervention", SIX_MP), ("comparison", PLACEBO)):
        for text in times:
            days = int(text.rstrip("+"))
            end = START + pd.Timedelta(days=days)
            rows.append((group, START, pd.NaT if text.endswith("+") else end, end))
    return pd.DataFrame(rows, columns=["group", "start_date", "event_date", "period_end"])


def test_the_estimate_gives_the_published_values_for_the_freireich_leukaemia_trial():
    result = time_to_event(freireich(), measure_code="relapse", polarity="lower", planned_direction="decrease", horizon_days=10)
    medians = result.diagnostics["medians"]
    assert (medians["intervention"]["median_days"], medians["comparison"]["median_days"]) == (23, 8)
    assert (medians["intervention"]["events"], medians["comparison"]["events"]) == (9, 21)
    assert result.diagnostics["log_rank"]["statistic"] == pytest.approx(16.79, abs=0.005)
    assert result.diagnostics["log_rank"]["p_value"] == pytest.approx(4.17e-5, rel=0.01)
    s_6mp = (18 / 21) * (16 / 17) * (14 / 15)  # events at 6 (3 of 21), 7 (1 of 17), 10 (1 of 15)
    assert s_6mp == pytest.approx(0.753, abs=5e-4)
    assert result.estimate == pytest.approx(100 * ((1 - s_6mp) - (1 - 8 / 21)), abs=1e-9)
    assert result.conclusion == "improved"  # fewer relapses by 10 weeks, and the interval excludes 0


def test_the_curves_medians_and_numbers_at_risk_are_lifelines_own():
    children = freireich()
    result = time_to_event(children, measure_code="relapse", polarity="lower", horizon_days=10)
    for group, times in (("intervention", SIX_MP), ("comparison", PLACEBO)):
        durations = [int(t.rstrip("+")) for t in times]
        observed = [not t.endswith("+") for t in times]
        kmf = KaplanMeierFitter().fit(durations, observed)
        interval = median_survival_times(kmf.confidence_interval_)
        median = result.diagnostics["medians"][group]
        assert median["ci_low"] == pytest.approx(interval.iloc[0, 0], abs=1e-12)
        assert (median["ci_high"] is None and math.isinf(interval.iloc[0, 1])) or median["ci_high"] == pytest.approx(
            interval.iloc[0, 1], abs=1e-12
        )
        curve = result.chart["curves"][group]
        assert [p["days"] for p in curve] == list(kmf.survival_function_.index)
        assert [p["survival"] for p in curve] == pytest.approx(list(kmf.survival_function_.iloc[:, 0]), abs=1e-12)
        assert [p["at_risk"] for p in curve] == list(kmf.event_table["at_risk"])
        assert [p["events"] for p in curve] == list(kmf.event_table["observed"])
    assert result.diagnostics["medians"]["comparison"]["events_by_horizon"] == 13


# --- The safe curve, by hand --------------------------------------------------------------------

POINTS = [  # days, at risk just before, events, Kaplan-Meier survival after
    {"days": 0.0, "at_risk": 20, "events": 0, "survival": 1.0},
    {"days": 2.0, "at_risk": 20, "events": 2, "survival": 0.9},
    {"days": 4.0, "at_risk": 18, "events": 3, "survival": 0.75},
    {"days": 5.0, "at_risk": 15, "events": 1, "survival": 0.7},
    {"days": 6.0, "at_risk": 14, "events": 0, "survival": 0.7},  # a censoring
    {"days": 8.0, "at_risk": 13, "events": 4, "survival": 0.7 * 9 / 13},
    {"days": 10.0, "at_risk": 6, "events": 1, "survival": 0.7 * 9 / 13 * 5 / 6},
    {"days": 12.0, "at_risk": 4, "events": 4, "survival": 0.0},
]


def test_a_curve_is_shown_only_at_steps_with_enough_at_risk_and_enough_events_since_the_last_shown_step():
    # Threshold 5: day 2 has 2 events (held back), day 4 brings them to 5 -> shown at 25.0% (1 - 0.75)
    # with 18 at risk; days 5 and 8 bring 1 + 4 = 5 -> shown at day 8, 1 - 0.7 x 9/13 = 51.538...% ->
    # 51.5, 13 at risk; day 10 has 1 event (held back); at day 12 only 4 are at risk: the curve ends.
    assert safe_curve(POINTS, 5) == (
        SurvivalStep(0.0, 0.0, 20),
        SurvivalStep(4.0, 25.0, 18),
        SurvivalStep(8.0, 51.5, 13),
    )
    # Threshold 1: every step with an event is its own step, as lifelines draws it.
    assert [s.days for s in safe_curve(POINTS, 1)] == [0.0, 2.0, 4.0, 5.0, 8.0, 10.0, 12.0]
    # Threshold 7: days 2-5 give 6 events (held back), day 8 makes 10 -> shown; then nothing.
    assert safe_curve(POINTS, 7) == (SurvivalStep(0.0, 0.0, 20), SurvivalStep(8.0, 51.5, 13))


def test_a_small_group_is_not_shown_and_small_event_counts_hide_the_estimate():
    chart = {"horizon_days": 9, "curves": {"intervention": POINTS, "comparison": POINTS[:3]}}
    medians = {
        "intervention": {
            "children": 20,
            "events": 15,
            "median_days": 7.6,
            "ci_low": 4.0,
            "ci_high": None,
            "events_by_horizon": 10,
        },
        "comparison": {"children": 4, "events": 3, "median_days": 2.0, "ci_low": 2.0, "ci_high": 4.0, "events_by_horizon": 3},
    }
    medians["intervention"]["events_by_horizon"], medians["comparison"]["events_by_horizon"] = 10, 3
    safe = safe_time_to_event(chart, {"medians": medians}, threshold=5)
    intervention, comparison = safe.groups
    assert (intervention.shown, intervention.children, intervention.events, intervention.median_days) == (True, 20, 15, 8.0)
    assert comparison == disclosure.SafeSurvivalGroup("comparison", shown=False)
    assert not safe.estimate_shown and "comparison group has fewer than 5 children" in safe.reason
    # 20 children, 17 events: the 3 without an event are a small complement, so the count is hidden
    medians["intervention"]["events"] = 17
    medians["comparison"] = {**medians["intervention"], "events_by_horizon": 16}
    safe = safe_time_to_event(chart, {"medians": medians}, threshold=5)
    assert safe.groups[0].events is None and not safe.estimate_shown  # 20 - 16 = 4 had not had it by day 9
    medians["comparison"]["events_by_horizon"] = 10
    assert safe_time_to_event(chart, {"medians": medians}, threshold=5).estimate_shown


# --- Evidence and results JSON ------------------------------------------------------------------

WINDOWS = AnalysisPlan(date(2023, 4, 1), date(2023, 4, 1), date(2023, 12, 31), date(2024, 1, 1), date(2024, 12, 31))


def relapse_plan(*, horizon_days: int) -> evidence.PlanSpec:
    """A signed-off time-to-event plan of one primary measure, relapse (fewer is better)."""
    return evidence.PlanSpec(
        version=1,
        signed_off=True,
        design="time_to_event",
        windows=WINDOWS,
        measures=(evidence.PlannedMeasure("relapse", "decrease", "primary"),),
        horizon_days=horizon_days,
    )


def cells(code="relapse") -> pd.DataFrame:
    """The quarter's cells of the Freireich children, one row each: relapses of children."""
    quarter = pd.Timestamp("2024-01-01"), pd.Timestamp("2024-03-31")
    return pd.DataFrame(
        [
            (code, "Relapse", "percentage", "lower", *quarter, g, 100 * n / d, n, d, True)
            for g, n, d in (("intervention", 9, 21), ("comparison", 21, 21))
        ],
        columns=[
            "measure_code", "measure_name", "unit", "polarity", "period_start", "period_end", "group", "value",
            "numerator", "denominator", "approved",
        ],
    )  # fmt: skip


def test_a_time_to_event_plan_gives_the_estimate_and_only_safe_steps_in_the_results_json():
    plan = relapse_plan(horizon_days=10)
    built = evidence.evidence_build(cells(), plan, threshold=5, children={"relapse": freireich()})
    result = built.measures[0]
    assert (result.estimate.conclusion, result.estimate.estimate) == ("improved", -37.2)
    assert "curves" not in result.estimate.chart and "medians" not in result.estimate.diagnostics  # only safe numbers
    document = evidence.results_document(
        built, report="r", evaluation="e", version=1, data_checksum=evidence.frame_checksum(cells()), code_version="x"
    )
    measure = document["measures"][0]
    assert (measure["estimate"], measure["conclusion"], measure["method"]) == (-37.2, "improved", result.estimate.method)
    survival = measure["time_to_event"]
    assert survival["horizon_days"] == 10 and survival["log_rank_p"] == 4.17e-05
    groups = {g["group"]: g for g in survival["groups"]}
    assert (groups["intervention"]["median_days"], groups["comparison"]["median_days"]) == (23, 8)
    assert (groups["intervention"]["children"], groups["intervention"]["events"]) == (21, 9)
    for group in groups.values():
        steps = group["curve"]
        assert steps[0] == {"days": 0.0, "percent_with_event": 0.0, "at_risk": 21}
        assert all(step["at_risk"] >= 5 for step in steps)
    # 6-MP: relapses at 6 (3), 7 (1), 10 (1) make 5 by day 10, with 15 at risk: the first step shown
    assert groups["intervention"]["curve"][1] == {"days": 10.0, "percent_with_event": 24.7, "at_risk": 15}
    json.loads(evidence.results_json(document))  # canonical JSON, no NaN


def test_a_time_to_event_estimate_over_a_small_group_is_not_estimable_and_its_curve_not_shown():
    plan = relapse_plan(horizon_days=10)
    children = freireich()
    small = pd.concat([children[children["group"] == "intervention"], children[children["group"] == "comparison"].tail(4)])
    result = evidence.evidence_build(cells(), plan, threshold=5, children={"relapse": small}).measures[0]
    assert result.estimate.conclusion == "not estimable" and "fewer than 5 children" in result.estimate.reason
    assert result.estimate.estimate is None and result.estimate.diagnostics == {"log_rank_p": None}
    comparison = [g for g in result.survival.groups if g.group == "comparison"][0]
    assert not comparison.shown and comparison.steps == () and comparison.median_days is None


def test_the_checksum_covers_the_child_rows_of_a_time_to_event_plan():
    frame = cells()
    assert evidence.frame_checksum(frame, None) == evidence.frame_checksum(frame)
    one = evidence.frame_checksum(frame, {"relapse": freireich()})
    assert one == evidence.frame_checksum(frame, {"relapse": freireich().iloc[::-1]})  # order does not matter
    changed = freireich()
    changed.loc[0, "event_date"] = pd.NaT
    assert one != evidence.frame_checksum(frame, {"relapse": changed}) != evidence.frame_checksum(frame)


def test_for_a_measure_of_days_fewer_days_means_more_children_with_the_event_by_the_horizon():
    """Days to (say) a permanent home, lower is better: the intervention group's fewer events by the
    horizon (longer times) are then worse, not better."""
    plan = relapse_plan(horizon_days=10)
    days = cells().assign(unit="days", numerator=None)
    result = evidence.evidence_build(days, plan, threshold=5, children={"relapse": freireich()}).measures[0]
    assert (result.estimate.estimate, result.estimate.conclusion) == (-37.2, "worsened")
    assert evidence.DAYS_NOTE in result.estimate.limitations and result.polarity == "lower"


def test_a_time_to_event_measure_without_start_dates_says_so():
    plan = evidence.PlanSpec(
        version=1,
        signed_off=True,
        design="time_to_event",
        windows=WINDOWS,
        measures=(evidence.PlannedMeasure("relapse", "decrease", "primary"),),
    )
    for children in ({}, {"relapse": freireich().assign(start_date=pd.NaT)}):
        result = evidence.evidence_build(cells(), plan, threshold=5, children=children).measures[0]
        assert result.estimate.conclusion == "not estimable" and "start_date" in result.estimate.reason
        assert result.survival is None


# --- The curve's totals and the monthly cells ---------------------------------------------------

MONTHS = pd.date_range("2024-01-01", "2024-12-01", freq="MS")
# Per month of the follow-up window, one row per child: (had the event that month, did not).
# April's 3 relapses in the intervention group are below the threshold and hidden; every other month
# is shown, so without protection the group's events (the sum) minus the shown months gave 3.
BY_MONTH = {
    "intervention": [(6, 5), (5, 6), (7, 5), (3, 6), (6, 5), (5, 5), (8, 5), (5, 6), (6, 5), (7, 5), (5, 5), (6, 7)],
    "comparison": [(9, 5), (8, 6), (10, 5), (9, 5), (8, 6), (9, 5), (10, 5), (8, 6), (9, 5), (10, 5), (8, 5), (9, 6)],
}


def monthly() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The measure's monthly cells and its children, each child one row in one month: relapsed on
    the 15th, or censored at the month's end."""
    cells_, children = [], []
    for group, counts in BY_MONTH.items():
        for start, (n, rest) in zip(MONTHS, counts, strict=True):
            end = start + pd.offsets.MonthEnd(0)
            cells_.append(
                ("relapse", "Relapse", "percentage", "lower", start, end, group, 100 * n / (n + rest), n, n + rest, True)
            )
            children += [(group, START, start + pd.Timedelta(days=14), end)] * n + [(group, START, pd.NaT, end)] * rest
    columns = [
        "measure_code", "measure_name", "unit", "polarity", "period_start", "period_end", "group", "value", "numerator",
        "denominator", "approved",
    ]  # fmt: skip
    return pd.DataFrame(cells_, columns=columns), pd.DataFrame(
        children, columns=["group", "start_date", "event_date", "period_end"]
    )


def widest_range(document: dict, group: str, target: str, threshold: int) -> float:
    """What a reader of the results JSON can work out about one month's relapses in one group: the
    width of its feasible range, given every shown monthly cell, the group's shown children and
    events (sums of the months over the window: one row per child) and 0 <= relapses <= children in
    each month (scipy's linprog, as the audit does it)."""
    from scipy.optimize import linprog

    measure = document["measures"][0]
    cells_ = [c for c in measure["cells"] if c["group"] == group]
    totals = {g["group"]: g for g in measure["time_to_event"]["groups"]}[group]
    # unknowns: per month its relapses n and its children d
    k = len(cells_)
    a_eq, b_eq, a_ub = [], [], []
    for i, cell in enumerate(cells_):
        for j, column in ((i, "numerator"), (k + i, "denominator")):
            if cell[column] is not None:
                a_eq.append([1.0 if x == j else 0.0 for x in range(2 * k)])
                b_eq.append(cell[column])
        a_ub.append([1.0 if x == i else (-1.0 if x == k + i else 0.0) for x in range(2 * k)])  # n <= d
    if totals["events"] is not None:
        a_eq.append([1.0] * k + [0.0] * k)
        b_eq.append(totals["events"])
    if totals["children"] is not None:
        a_eq.append([0.0] * k + [1.0] * k)
        b_eq.append(totals["children"])
    if totals["curve"]:
        a_eq.append([0.0] * k + [1.0] * k)
        b_eq.append(totals["curve"][0]["at_risk"])  # the day-0 number at risk: every child
    index = next(i for i, c in enumerate(cells_) if c["period_start"] == target)
    objective = [1.0 if x == index else 0.0 for x in range(2 * k)]
    bounds = [(0, 10_000)] * (2 * k)
    low = linprog(objective, A_ub=a_ub, b_ub=[0.0] * k, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    high = linprog([-x for x in objective], A_ub=a_ub, b_ub=[0.0] * k, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    assert low.status == high.status == 0
    return -high.fun - low.fun


def test_a_hidden_month_cannot_be_recovered_from_the_curves_group_totals():
    plan = relapse_plan(horizon_days=180)
    frame, children = monthly()
    built = evidence.evidence_build(frame, plan, threshold=5, children={"relapse": children})
    document = evidence.results_document(built, report="r", evaluation="e", version=1, data_checksum="x", code_version="x")
    measure = document["measures"][0]
    april = [c for c in measure["cells"] if c["group"] == "intervention" and c["period_start"] == "2024-04-01"][0]
    assert april["numerator"] is None and april["value"] is None  # 3: hidden
    assert widest_range(document, "intervention", "2024-04-01", 5) >= 5
    # Every hidden count keeps a range at least the threshold wide, whatever the totals show.
    for cell in measure["cells"]:
        if cell["numerator"] is None:
            assert widest_range(document, cell["group"], cell["period_start"], 5) >= 5
    # The window-total rows are the audit's only: no period of the window in the cells.
    assert {(c["period_start"], c["period_end"]) for c in measure["cells"]} == {
        (f"{m:%Y-%m-%d}", f"{m + pd.offsets.MonthEnd(0):%Y-%m-%d}") for m in MONTHS
    }
    assert len(built.safe.frame) == len(frame)
    # A group whose totals are shown shows them exactly, with its curve.
    groups = {g["group"]: g for g in measure["time_to_event"]["groups"]}
    comparison = groups["comparison"]
    assert (comparison["children"], comparison["events"]) == (sum(map(sum, BY_MONTH["comparison"])), 107)
    assert comparison["curve"][0]["at_risk"] == comparison["children"]
    # The intervention group's totals: shown only together with a second hidden month, or hidden
    # with their curve (whose first step is every child).
    intervention = groups["intervention"]
    hidden_months = sum(c["numerator"] is None for c in measure["cells"] if c["group"] == "intervention")
    assert intervention["events"] is None or hidden_months >= 2
    if intervention["children"] is None:
        assert intervention["events"] is None
    # Its curve is not shown: with one row per child, the numbers at risk and the falls between two
    # shown steps give the events of the months between them (April's 3 merged into May's step).
    assert intervention["curve"] == [] and len(comparison["curve"]) > 2
    # Nor is the estimate: the difference by the horizon, with the comparison's shown figures, is
    # one more sum over the intervention's months.
    assert measure["estimate"] is None and measure["conclusion"] == "not estimable"
    assert "counts are hidden" in measure["reason"]


def test_the_curves_group_totals_stay_consistent_across_report_versions():
    plan = relapse_plan(horizon_days=180)
    frame, children = monthly()

    def document(earlier=()):
        hidden, shown = evidence.earlier_cells(list(earlier))
        built = evidence.evidence_build(
            frame, plan, threshold=5, children={"relapse": children}, earlier_hidden=hidden, earlier_shown=shown
        )
        return evidence.results_document(built, report="r", evaluation="e", version=1, data_checksum="x", code_version="x")

    first = document()
    hidden, shown = evidence.earlier_cells([first])
    key = disclosure.cell_key("relapse", "comparison", "2024-01-01", "2024-12-31", "denominator")
    assert shown[key] == sum(map(sum, BY_MONTH["comparison"]))  # a total shown is public
    assert evidence.results_json(document([first])) == evidence.results_json(first)
    # A total an earlier version hid stays hidden, with the group's curve.
    groups = {g["group"]: g for g in first["measures"][0]["time_to_event"]["groups"]}
    groups["comparison"]["children"] = None
    assert key in evidence.earlier_cells([first])[0]
    comparison = {g["group"]: g for g in document([first])["measures"][0]["time_to_event"]["groups"]}["comparison"]
    assert comparison["children"] is None and comparison["events"] is None and comparison["curve"] == []

    # The report's tables say "[c]" for it, and list no step of the group.
    from openpyxl import Workbook

    from reports import documents, workbook

    hidden, shown = evidence.earlier_cells([first])
    built = evidence.evidence_build(
        frame, plan, threshold=5, children={"relapse": children}, earlier_hidden=hidden, earlier_shown=shown
    )
    section = documents.survival_section(built.measures[0])
    row = [g for g in section["groups"] if g["label"].lower().startswith("comparison")][0]
    assert (row["children"], row["events"]) == (documents.SUPPRESSED, documents.SUPPRESSED)
    assert not any(step["group"].lower().startswith("comparison") for step in section["steps"])
    sheet = Workbook().active
    workbook.survival_sheet(sheet, built.measures[0])
    values = [row for row in sheet.iter_rows(values_only=True) if row[0] == "Comparison"]
    assert values[0][1:3] == (workbook.SUPPRESSED, workbook.SUPPRESSED) and len(values) == 1


def _children_text_by_rows(rows: pd.DataFrame) -> str:
    """The child rows' checksum text as it was first written (a list per row, json.dumps): the
    faster `_children_text` must give the same bytes, so stored reports' checksums still match."""
    columns = ["group", "start_date", "event_date", "period_end"]
    data = rows.loc[:, columns].copy()
    for column in columns[1:]:
        data[column] = pd.to_datetime(data[column])
    data = data.sort_values(columns, kind="mergesort", na_position="first")
    for column in columns[1:]:
        data[column] = data[column].dt.strftime("%Y-%m-%d")
    data = data.astype(object).where(data.notna(), None)
    return json.dumps(data.to_numpy().tolist(), separators=(",", ":"))


dates = st.one_of(st.none(), st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)))


@given(
    st.lists(
        st.tuples(st.sampled_from(["intervention", "comparison", "all", 'Ünit \\ "B"']), dates, dates, dates),
        max_size=40,
    )
)
@settings(max_examples=200, deadline=None)
def test_the_child_rows_checksum_text_is_what_a_list_per_row_gives(rows):
    frame = pd.DataFrame(rows, columns=["group", "start_date", "event_date", "period_end"])
    assert evidence._children_text(frame) == _children_text_by_rows(frame)


GOLDEN_CHECKSUM = "9c687a00119b0a6b277fafe56daae2661879775f21b41d1b6bf3f221786d4b30"


def test_the_checksum_of_child_rows_is_unchanged():
    # Computed before the checksum text was written a column at once: a stored report's checksum
    # must match its rebuild.
    assert evidence.frame_checksum(cells(), {"relapse": freireich()}) == GOLDEN_CHECKSUM
