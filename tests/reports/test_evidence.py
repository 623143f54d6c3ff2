"""The evidence of a report: the plan's estimates and the safe cells together, and the results JSON."""

import json
from dataclasses import replace

import pandas as pd
import pytest
from hypothesis import given, settings

from reports import disclosure, estimates
from reports.evidence import (
    PlannedMeasure,
    PlanSpec,
    earlier_cells,
    evidence_build,
    frame_checksum,
    results_document,
    results_json,
)
from tests.reports.test_disclosure import assert_unrecoverable, attack, build, versions
from tests.reports.test_estimates import (
    BASE_N,
    BASE_X,
    C_VALUES,
    I_VALUES,
    MONTHS,
    PLAN,
    POST_N,
    POST_X,
    frame,
    proportion_rows,
    value_rows,
)

DID_PLAN = PlanSpec(
    version=2,
    signed_off=True,
    design="did",
    research_questions="Do fewer children come back?",
    windows=PLAN,
    comparison="Two neighbouring districts",
    measures=(
        PlannedMeasure("assessment-days", "decrease", "secondary"),
        PlannedMeasure("re-referrals", "decrease", "primary"),
    ),
)


def did_frame() -> pd.DataFrame:
    days = frame("assessment-days", value_rows("intervention", I_VALUES) + value_rows("comparison", C_VALUES))
    comparison_x = [x + 1 for x in BASE_X + BASE_X]
    percentages = frame(
        "re-referrals",
        proportion_rows("intervention", BASE_X + POST_X, BASE_N + POST_N)
        + proportion_rows("comparison", comparison_x, BASE_N + BASE_N),
    )
    return pd.concat([days, percentages], ignore_index=True)


def document(evidence, version=1):
    return results_document(evidence, report="r-1", evaluation="e-1", version=version, data_checksum="abc", code_version="test")


def test_each_planned_measure_gets_the_plan_design_estimate_rounded_and_primary_first():
    data = did_frame()
    evidence = evidence_build(data, DID_PLAN, threshold=5)
    assert [m.planned.code for m in evidence.measures] == ["re-referrals", "assessment-days"]
    for result in evidence.measures:
        direct = estimates.difference_in_differences(
            data[data["measure_code"] == result.planned.code],
            PLAN,
            measure_code=result.planned.code,
            planned_direction="decrease",
        )
        assert result.estimate.estimate == round(direct.estimate, 1)
        assert result.estimate.ci_low == round(direct.ci_low, 1)
        assert result.estimate.ci_high == round(direct.ci_high, 1)
        assert result.estimate.conclusion == direct.conclusion
    out = document(evidence)
    assert [m["primary"] for m in out["measures"]] == [True, False]
    assert out["design"] == "did" and out["plan_version"] == 2 and out["draft"] is False
    assert out["windows"]["baseline"] == ["2023-04-01", "2024-03-31"]


def test_a_measure_without_data_or_a_plan_without_dates_is_not_estimable_with_the_reason():
    data = did_frame()
    evidence = evidence_build(data, replace(DID_PLAN, measures=(PlannedMeasure("entries", "decrease", "primary"),)), threshold=5)
    assert evidence.measures[0].estimate.conclusion == "not estimable"
    assert "no data" in evidence.measures[0].estimate.reason
    assert set(evidence.unplanned) == {"assessment-days", "re-referrals"}
    undated = evidence_build(data, replace(DID_PLAN, windows=None, signed_off=False), threshold=5)
    assert {m.estimate.conclusion for m in undated.measures} == {"not estimable"}
    assert document(undated)["draft"] is True


def test_the_results_json_is_byte_identical_when_rebuilt_and_whatever_the_row_order():
    data = did_frame()
    first = results_json(document(evidence_build(data, DID_PLAN, threshold=5)))
    shuffled = data.sample(frac=1, random_state=3).reset_index(drop=True)
    again = results_json(document(evidence_build(shuffled, DID_PLAN, threshold=5)))
    assert first == again
    assert frame_checksum(data) == frame_checksum(shuffled)
    parsed = json.loads(first)
    assert parsed["measures"][0]["conclusion"] in estimates.CONCLUSIONS
    assert set(parsed["measures"][0]["cells"][0]) >= {"period_start", "period_end", "group", "value", "numerator", "denominator"}


def test_the_checksum_changes_with_any_value():
    data = did_frame()
    changed = data.copy()
    changed.loc[5, "value"] = changed.loc[5, "value"] + 0.0001
    assert frame_checksum(data) != frame_checksum(changed)


def small_frame(intervention_x=3):
    """One month of a percentage for intervention, comparison and all, with a small count."""
    rows = [
        (MONTHS[0], "intervention", None, intervention_x, 40),
        (MONTHS[0], "comparison", None, 20, 45),
        (MONTHS[0], "all", None, 20 + intervention_x, 85),
    ]
    rows = [(m, g, 100 * x / n, x, n) for m, g, _, x, n in rows]
    return frame("re-referrals", rows)


SMALL_PLAN = replace(DID_PLAN, measures=(PlannedMeasure("re-referrals", "decrease", "primary"),))


def json_frame(out: dict) -> pd.DataFrame:
    """What a reader of the results JSON has, as the attack in test_disclosure reads a SafeFrame."""
    measure = out["measures"][0]
    data = pd.DataFrame(measure["cells"])
    data["measure_code"], data["unit"] = measure["measure"], measure["unit"]
    for column in ("period_start", "period_end"):
        data[column] = pd.to_datetime(data[column])
    data["value"] = data["value"].astype("float64")
    for column in ("numerator", "denominator"):
        data[column] = data[column].astype("Int64")
    return data


def test_suppressed_cells_are_null_in_the_json_and_cannot_be_recovered_from_it():
    data = small_frame()
    out = json.loads(results_json(document(evidence_build(data, SMALL_PLAN, threshold=5))))
    cells = {c["group"]: c for c in out["measures"][0]["cells"]}
    assert cells["intervention"]["numerator"] is None and cells["intervention"]["numerator_hidden"] is True
    assert cells["intervention"]["value"] is None  # a rate hides with its numerator
    # "all" minus comparison would give the intervention's 3: something more is hidden.
    shown = json_frame(out)
    assert_unrecoverable(data, [disclosure.SafeFrame(frame=shown, threshold=5)])


def test_a_later_version_keeps_hidden_what_an_earlier_version_hid():
    first = json.loads(results_json(document(evidence_build(small_frame(3), SMALL_PLAN, threshold=5))))
    hidden, shown = earlier_cells([first])
    assert "re-referrals|intervention|2023-04-01|2023-04-30|numerator" in hidden
    # The corrected figure is no longer small, but the earlier version hid it: it stays hidden, and
    # the two versions together give nothing away.
    data = small_frame(6)
    second = json.loads(
        results_json(document(evidence_build(data, SMALL_PLAN, threshold=5, earlier_hidden=hidden, earlier_shown=shown), 2))
    )
    cells = {c["group"]: c for c in second["measures"][0]["cells"]}
    assert cells["intervention"]["numerator"] is None
    assert cells["intervention"]["numerator_hidden"] is True


@pytest.mark.parametrize("design", sorted(estimates.DESIGNS))
def test_every_design_gives_a_valid_document(design):
    data = did_frame()
    out = json.loads(results_json(document(evidence_build(data, replace(DID_PLAN, design=design), threshold=5))))
    for measure in out["measures"]:
        assert measure["conclusion"] in estimates.CONCLUSIONS
        assert measure["method"]
        if measure["conclusion"] != "not estimable" and design != "spc":
            assert measure["ci_low"] <= measure["estimate"] <= measure["ci_high"]


# --- Everything shown across versions, as the results JSON gives it ----------------------------


@settings(max_examples=30, database=None, deadline=None)
@given(versions().filter(lambda case: case[0] in ("count", "percentage")))
def test_no_hidden_count_can_be_recovered_from_two_versions_of_the_results_json(case):
    """Two versions of a report, the second told of the first only through the first's results
    JSON (as the service does): together they give no hidden count away. (Days are left out: the
    JSON rounds their means to a decimal, which this attack would read as exact.)"""
    unit, base, first_slots, second_slots = case
    first_data, truths = build(unit, base, first_slots)
    second_data, more = build(unit, base, second_slots)
    truths |= more
    code = first_data["measure_code"].iloc[0]
    plan = PlanSpec(version=1, signed_off=True, design="", measures=(PlannedMeasure(code, "decrease", "primary"),))
    first = json.loads(results_json(document(evidence_build(first_data, plan, threshold=5))))
    hidden, shown = earlier_cells([first])
    second = json.loads(
        results_json(document(evidence_build(second_data, plan, threshold=5, earlier_hidden=hidden, earlier_shown=shown), 2))
    )
    readings = [disclosure.SafeFrame(frame=json_frame(out), threshold=5) for out in (first, second)]
    assert attack(truths, readings, 5) == []


def test_a_plan_that_names_no_measure_shows_every_measure_sent_without_estimates():
    evidence = evidence_build(did_frame(), replace(DID_PLAN, measures=()), threshold=5)
    assert [m.planned.code for m in evidence.measures] == ["assessment-days", "re-referrals"]
    assert {m.planned.role for m in evidence.measures} == {"secondary"}
    # No expected direction was planned: an estimate is still made, and never called "improved".
    assert {m.estimate.conclusion for m in evidence.measures} <= {"worsened", "no clear change", "not estimable"} or all(
        m.planned.direction == "" for m in evidence.measures
    )
    assert not evidence.safe.frame.empty
