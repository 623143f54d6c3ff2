"""Reads of the measure library and of stored outcome data."""

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from outcomes.models import Measure, OutcomeValue, Submission
from pine.models import Partner

if TYPE_CHECKING:
    import pandas as pd

FRAME_COLUMNS = [
    "measure_code",
    "measure_name",
    "unit",
    "polarity",
    "period_start",
    "period_end",
    "group",
    "value",
    "numerator",
    "denominator",
    "approved",
]


def measure_list() -> QuerySet[Measure]:
    return Measure.objects.all()


def submission_list(*, partner: Partner, evaluation=None) -> QuerySet[Submission]:
    qs = Submission.objects.filter(partner=partner).defer("content").select_related("uploaded_by")
    return qs if evaluation is None else qs.filter(evaluation=evaluation)


def submission_get(*, partner: Partner, code) -> Submission | None:
    return submission_list(partner=partner).select_related("evaluation").filter(code=code).first()


def outcome_value_count(*, partner: Partner, evaluation) -> int:
    return OutcomeValue.objects.filter(partner=partner, evaluation=evaluation).count()


def outcome_frame(*, partner: Partner, evaluation) -> "pd.DataFrame":
    """An evaluation's outcome values, one row each, as the analysis functions expect them."""
    import pandas as pd  # only the report worker needs pandas: keep it out of web start-up

    rows = (
        OutcomeValue.objects.filter(partner=partner, evaluation=evaluation)
        .order_by("measure__code", "group", "period_start")
        .values_list(
            "measure__code",
            "measure__name",
            "measure__unit",
            "measure__polarity",
            "period_start",
            "period_end",
            "group",
            "value",
            "numerator",
            "denominator",
        )
    )
    frame = pd.DataFrame([(*row, True) for row in rows], columns=FRAME_COLUMNS)
    frame["period_start"] = pd.to_datetime(frame["period_start"])
    frame["period_end"] = pd.to_datetime(frame["period_end"])
    frame["value"] = frame["value"].astype(float)
    frame["numerator"] = frame["numerator"].astype("Int64")
    frame["denominator"] = frame["denominator"].astype("Int64")
    frame["approved"] = frame["approved"].astype(bool)
    return frame
