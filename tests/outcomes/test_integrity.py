"""Outcome data that cannot silently go wrong: warnings against the file's own previous period,
counts that an upload would drop, and periods with nothing to divide by."""

import pandas as pd
import pytest

from outcomes.models import OutcomeValue
from outcomes.selectors import outcome_frame
from reports import documents
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
    appendix = documents._appendix(frame, frame, rate, "percentage")
    may = next(row for row in appendix["appendix_rows"] if row["label"].startswith("May"))
    assert may["cells"][0].startswith(documents.NOT_ESTIMABLE)
