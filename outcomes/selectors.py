"""Reads of the measure library and of stored outcome data."""

from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import Count, Max, Q, QuerySet

from outcomes.models import Measure, OutcomeValue, PeriodApproval, Submission
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


def measure_list(*, partner: Partner | None = None) -> QuerySet[Measure]:
    """The measures a partner may use (plans, theories of change, templates, the data dictionary,
    uploads): the shared library plus the partner's own local measures. Without a partner, the
    library alone. Filtered here whatever the scope: the practice scope sees every partner's rows."""
    usable = Q(partner__isnull=True)
    if partner is not None:
        usable |= Q(partner=partner)
    return Measure.objects.filter(usable)


def measure_get(*, partner: Partner | None, code: str) -> Measure | None:
    """A library measure, or one of this partner's local measures; another partner's local measure
    and a missing one alike give None."""
    return measure_list(partner=partner).filter(code=code).first()


def library_measure_list() -> QuerySet[Measure]:
    return measure_list().select_related("promoted_from")


def library_measure_get(*, code: str) -> Measure | None:
    return library_measure_list().filter(code=code).first()


def local_measure_list(*, partner: Partner) -> QuerySet[Measure]:
    """One partner's local measures."""
    return Measure.objects.filter(partner=partner).select_related("evaluation", "created_by")


def local_measure_get(*, partner: Partner, code: str) -> Measure | None:
    return local_measure_list(partner=partner).filter(code=code).first()


def local_measure_list_for_practice() -> QuerySet[Measure]:
    """Every partner's local measures (the practice team's view, in the practice scope)."""
    return (
        Measure.objects.filter(partner__isnull=False)
        .select_related("partner", "evaluation", "created_by")
        .order_by("partner__name", "name")
    )


def local_measure_get_for_practice(*, partner_slug: str, code: str) -> Measure | None:
    return local_measure_list_for_practice().filter(partner__slug=partner_slug, code=code).first()


def submission_list(*, partner: Partner, evaluation=None) -> QuerySet[Submission]:
    qs = Submission.objects.filter(partner=partner).defer("content").select_related("uploaded_by")
    return qs if evaluation is None else qs.filter(evaluation=evaluation)


def submission_get(*, partner: Partner, code) -> Submission | None:
    return submission_list(partner=partner).select_related("evaluation").filter(code=code).first()


def outcome_value_count(*, partner: Partner, evaluation) -> int:
    """How many current values (superseded ones are history, not data)."""
    return OutcomeValue.objects.filter(partner=partner, evaluation=evaluation, is_current=True).count()


def approved_periods(*, partner: Partner, evaluation) -> set:
    """The period starts whose data the practice team has approved (and not unlocked)."""
    return set(
        PeriodApproval.objects.filter(partner=partner, evaluation=evaluation, unlocked_at__isnull=True).values_list(
            "period_start", flat=True
        )
    )


def period_list(*, partner: Partner, evaluation) -> list[dict]:
    """An evaluation's periods of current data, oldest first: start, end, how many values, and the
    standing approval (None if unapproved)."""
    approvals = {
        a.period_start: a
        for a in PeriodApproval.objects.filter(partner=partner, evaluation=evaluation, unlocked_at__isnull=True).select_related(
            "approved_by"
        )
    }
    rows = (
        OutcomeValue.objects.filter(partner=partner, evaluation=evaluation, is_current=True)
        .values("period_start")
        .annotate(period_end=Max("period_end"), values=Count("id"))
        .order_by("period_start")
    )
    return [{**row, "approval": approvals.get(row["period_start"])} for row in rows]


def submission_history(*, partner: Partner, submission: Submission) -> QuerySet[OutcomeValue]:
    """The values a submission stored, with the ones that have since superseded them."""
    return (
        OutcomeValue.objects.filter(partner=partner, submission=submission)
        .select_related("measure", "superseded_by__submission")
        .order_by("measure__code", "group", "period_start")
    )


def outcome_frame(*, partner: Partner, evaluation) -> "pd.DataFrame":
    """An evaluation's current outcome values, one row each, as the analysis functions expect them.
    ``approved`` is true where the practice team has approved the value's period."""
    import pandas as pd  # only the report worker needs pandas: keep it out of web start-up

    rows = (
        OutcomeValue.objects.filter(partner=partner, evaluation=evaluation, is_current=True)
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
    approved = approved_periods(partner=partner, evaluation=evaluation)
    frame = pd.DataFrame([(*row, row[4] in approved) for row in rows], columns=FRAME_COLUMNS)
    frame["period_start"] = pd.to_datetime(frame["period_start"])
    frame["period_end"] = pd.to_datetime(frame["period_end"])
    frame["value"] = frame["value"].astype(float)
    frame["numerator"] = frame["numerator"].astype("Int64")
    frame["denominator"] = frame["denominator"].astype("Int64")
    frame["approved"] = frame["approved"].astype(bool)
    return frame


def _shown(name: str, value) -> str:
    field = Measure._meta.get_field(name)
    return str(dict(field.choices).get(value, value)) if field.choices else str(value or "")


def measure_definition_rows(measure: Measure) -> list[tuple[str, str]]:
    """(label, value as shown) for each field of a measure's current definition."""
    return [
        (Measure._meta.get_field(name).verbose_name.capitalize().replace("_", " "), measure_shown(measure, name))
        for name in Measure.DEFINITION_FIELDS
    ]


def measure_shown(measure: Measure, name: str) -> str:
    return _shown(name, getattr(measure, name))


def measure_history(measure: Measure) -> list[dict]:
    """The measure's versions, newest first: each with the date it was replaced (none for the
    current one) and the fields that changed from the version before it, as (label, old, new)."""
    versions = [
        *measure.history,
        {"version": measure.version, "until": None, **{n: getattr(measure, n) for n in Measure.DEFINITION_FIELDS}},
    ]
    rows = []
    for older, newer in zip([None, *versions[:-1]], versions):
        changes = []
        if older is not None:
            for name in Measure.DEFINITION_FIELDS:
                if older.get(name) != newer.get(name):
                    label = Measure._meta.get_field(name).verbose_name.capitalize().replace("_", " ")
                    changes.append((label, _shown(name, older.get(name)), _shown(name, newer.get(name))))
        until = datetime.fromisoformat(newer["until"]) if newer["until"] else None
        rows.append({"version": newer["version"], "until": until, "changes": changes})
    return list(reversed(rows))
