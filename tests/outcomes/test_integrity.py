"""Outcome data that cannot silently go wrong: warnings against the file's own previous period,
counts that an upload would drop, and periods with nothing to divide by."""

import pandas as pd
import pytest

from outcomes.models import OutcomeValue
from outcomes.selectors import outcome_frame
from reports import documents
from reports.evidence import PlannedMeasure, PlanSpec, evidence_build
from tests.outcomes.test_jobs import HEADER, sync

pytestmark = pytest.mark.django_db


def line(month: int, value, numerator="", denominator="", measure="entries_to_care", group="intervention") -> str:
    end = pd.Timestamp(2025, month, 1) + pd.offsets.MonthEnd(0)
    return f"{measure},01/{month:02d}/2025,{end:%d/%m/%Y},{group},{value},{numerator},{denominator}\n"


def test_the_next_period_is_compared_with_the_corrected_value_in_the_same_file(lead, partner, evaluation):
    sync(partner, lead, evaluation, HEADER + line(3, 20) + line(4, 21))
    wrong = sync(partner, lead, evaluation, HEADER + line(5, 220), dry_run=True)
    assert wrong.warnings[0]["previous_value"] == "21"  # against the stored April
    sync(partner, lead, evaluation, HEADER + line(4, 210))  # a wrong April
    corrected = sync(partner, lead, evaluation, HEADER + line(4, 21) + line(5, 22))
    # May (22) is compared with the corrected April in the file (21), not the stored 210; April
    # itself with March (20).
    assert corrected.status == "accepted" and corrected.warnings == []


def test_a_warning_names_the_file_row_it_compared_against(lead, partner, evaluation):
    sync(partner, lead, evaluation, HEADER + line(4, 21))
    submission = sync(partner, lead, evaluation, HEADER + line(4, 20) + line(5, 200), dry_run=True)
    (warning,) = submission.warnings
    assert warning["kind"] == "unusual_change" and warning["previous_value"] == "20"
    assert "row 2 of this file" in warning["reason"]


def test_an_upload_that_drops_stored_counts_waits_for_an_explanation(lead, partner, evaluation):
    rate = "re_referrals_12m"
    sync(partner, lead, evaluation, HEADER + line(4, "22.6", 37, 164, measure=rate))
    submission = sync(partner, lead, evaluation, HEADER + line(4, "22.6", measure=rate))
    assert submission.status == "needs_explanation"
    (warning,) = submission.warnings
    assert warning["kind"] == "counts_dropped" and "37 out of 164" in warning["reason"]
    assert OutcomeValue.objects.get(is_current=True).denominator == 164  # not wiped


def test_a_value_that_disagrees_with_its_counts_is_refused_and_nothing_is_stored(lead, partner, evaluation):
    submission = sync(partner, lead, evaluation, HEADER + line(4, 50, 37, 164, measure="re_referrals_12m"))
    assert submission.status == "rejected" and "37 out of 164 is 22.6%" in submission.errors[0]["reason"]
    assert not OutcomeValue.objects.exists()


def test_a_period_with_no_children_is_stored_empty_and_reported_as_not_estimable(lead, partner, evaluation):
    rate = "re_referrals_12m"
    text = HEADER + line(4, "50", 50, 100, measure=rate) + line(5, "", 0, 0, measure=rate) + line(6, "50", 1, 2, measure=rate)
    submission = sync(partner, lead, evaluation, text)
    assert submission.status == "accepted"
    assert OutcomeValue.objects.get(period_start="2025-05-01").value is None
    frame = outcome_frame(partner=partner, evaluation=evaluation)
    plan = PlanSpec(version=0, signed_off=False, design="", measures=(PlannedMeasure(rate, "decrease", "primary"),))
    built = evidence_build(frame, plan, threshold=5)
    appendix = documents._appendix(built.safe.frame, built.measures[0])
    may = next(row for row in appendix["appendix_rows"] if row["label"].startswith("May"))
    assert may["cells"][0].startswith(documents.NOT_ESTIMABLE)


def quarter(value, measure="entries_to_care", group="intervention") -> str:
    return f"{measure},01/07/2025,30/09/2025,{group},{value},,\n"


def test_one_period_length_per_measure_in_the_file_and_against_stored_values(lead, partner, evaluation):
    """(Before: monthly and quarterly periods of one measure were accepted side by side.)"""
    mixed = sync(partner, lead, evaluation, HEADER + line(4, 20) + quarter(60))
    assert mixed.status == "rejected"
    assert [(p["row"], p["column"]) for p in mixed.errors] == [(3, "period_end")]
    assert (
        "This period is a quarter, but entries_to_care's periods in this evaluation are a month each (row 2)"
        in (mixed.errors[0]["reason"])
    )
    sync(partner, lead, evaluation, HEADER + line(4, 20))
    later = sync(partner, lead, evaluation, HEADER + quarter(60))
    assert "(its stored values)" in later.errors[0]["reason"]
    # Another measure may have its own length; replacing every stored period changes the length.
    assert sync(partner, lead, evaluation, HEADER + quarter(40, measure="referrals_nfa")).status == "accepted"
    whole = "entries_to_care,01/04/2025,30/06/2025,intervention,60,,\n"
    assert sync(partner, lead, evaluation, HEADER + whole).status == "accepted"


def test_child_rows_with_one_period_start_and_different_ends_are_refused(lead, partner, evaluation):
    """(Before: they merged silently under the first row's end.)"""
    text = (
        "child_ref,measure,period_start,period_end,group,value\n"
        "C1,entries_to_care,01/04/2025,30/04/2025,all,1\n"
        "C2,entries_to_care,01/04/2025,30/06/2025,all,1\n"
    )
    submission = sync(partner, lead, evaluation, text)
    assert submission.status == "rejected" and [(p["row"], p["column"]) for p in submission.errors] == [(3, "period_end")]
    assert "Row 2 has the same measure, group and period start but ends on 30/04/2025" in submission.errors[0]["reason"]


def test_all_cannot_be_smaller_than_a_detail_group(lead, partner, evaluation):
    smaller = sync(partner, lead, evaluation, HEADER + line(4, 30) + line(4, 20, group="all"))
    assert smaller.status == "rejected" and [(p["row"], p["column"]) for p in smaller.errors] == [(3, "value")]
    assert "less than the intervention group's 30 (row 2)" in smaller.errors[0]["reason"]
    # percentages: the counts behind them, here against a stored intervention value
    rate = "re_referrals_12m"
    sync(partner, lead, evaluation, HEADER + line(4, "25.0", 40, 160, measure=rate))
    against_stored = sync(partner, lead, evaluation, HEADER + line(4, "25.0", 30, 120, measure=rate, group="all"))
    assert [(p["row"], p["column"]) for p in against_stored.errors] == [(2, "numerator"), (2, "denominator")]
    assert "(stored)" in against_stored.errors[1]["reason"]
    # with the groups not said to be exclusive, all = 50 >= 30 and >= 25 is fine even though 30 + 25 > 50
    fine = HEADER + line(5, 30) + line(5, 25, group="comparison") + line(5, 50, group="all")
    assert sync(partner, lead, evaluation, fine).status == "accepted"


def test_all_is_at_least_intervention_plus_comparison_when_the_plan_says_the_groups_are_exclusive(lead, partner, evaluation):
    from evaluations import services as evaluation_services

    evaluation_services.plan_save_draft(partner=partner, actor=lead, evaluation=evaluation, groups_exclusive=True)
    text = HEADER + line(5, 30) + line(5, 25, group="comparison") + line(5, 50, group="all")
    submission = sync(partner, lead, evaluation, text)
    assert submission.status == "rejected" and [(p["row"], p["column"]) for p in submission.errors] == [(4, "value")]
    assert "less than intervention plus comparison (30 + 25)" in submission.errors[0]["reason"]
    assert sync(partner, lead, evaluation, text.replace(",50,", ",55,")).status == "accepted"
