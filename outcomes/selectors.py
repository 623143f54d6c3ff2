"""Reads of stored outcome data: submissions, values, approved periods and the analysis frame."""

from datetime import date
from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import Count, Max, Min, Q, QuerySet

from outcomes.models import ChildRecord, OutcomeValue, PeriodApproval, Submission
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


def submission_list(*, partner: Partner, evaluation=None) -> QuerySet[Submission]:
    # The later upload a superseded one points to is read in the same query (lists show its code).
    qs = Submission.objects.filter(partner=partner).select_related("uploaded_by", "superseded_by")
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


def outcome_value_list(*, partner: Partner, evaluation) -> QuerySet[OutcomeValue]:
    """An evaluation's current values (the stored aggregates, never the children's rows), each with
    its measure and the upload that brought it."""
    return (
        OutcomeValue.objects.filter(partner=partner, evaluation=evaluation, is_current=True)
        .select_related("measure", "submission")
        .order_by("measure__code", "group", "period_start")
    )


def outcome_value_history(*, partner: Partner, evaluation) -> QuerySet[OutcomeValue]:
    """The values later uploads replaced: each with the value that replaced it and both uploads."""
    return (
        OutcomeValue.objects.filter(partner=partner, evaluation=evaluation, is_current=False)
        .select_related("measure", "submission", "superseded_by__submission")
        .order_by("measure__code", "group", "period_start", "id")
    )


def outcome_frame(*, partner: Partner, evaluation) -> "pd.DataFrame":
    """An evaluation's current outcome values, one row each, as the analysis functions expect them.
    ``approved`` is true where the practice team has approved the value's period."""
    current = OutcomeValue.objects.filter(partner=partner, evaluation=evaluation, is_current=True)
    return _frame(current, approved_periods(partner=partner, evaluation=evaluation))


def outcome_snapshot(*, partner: Partner, evaluation) -> dict:
    """What a report version reads, so it can be read again exactly: the ids of the current values
    (a value is never changed in place: a correction is a new row) and the approved periods."""
    ids = OutcomeValue.objects.filter(partner=partner, evaluation=evaluation, is_current=True).values_list("pk", flat=True)
    return {
        "value_ids": sorted(ids),
        "approved_periods": sorted(day.isoformat() for day in approved_periods(partner=partner, evaluation=evaluation)),
    }


def outcome_frame_at(*, partner: Partner, evaluation, snapshot: dict) -> "pd.DataFrame":
    """The analysis frame of a snapshot (`outcome_snapshot`), as `outcome_frame` gives it."""
    values = OutcomeValue.objects.filter(partner=partner, evaluation=evaluation, pk__in=snapshot["value_ids"])
    return _frame(values, {date.fromisoformat(day) for day in snapshot["approved_periods"]})


def _frame(values, approved: set) -> "pd.DataFrame":
    """The values as a frame, with each measure's child aggregation (``aggregation``: a median of
    days does not add up as a mean does) and whether the practice team approved each period."""
    import pandas as pd  # only the report worker needs pandas: keep it out of web start-up

    rows = values.order_by("measure__code", "group", "period_start").values_list(*QUERY_COLUMNS)
    frame = pd.DataFrame([(*row, row[4] in approved) for row in rows], columns=[*FRAME_COLUMNS[:-1], "aggregation", "approved"])
    frame = frame[[*FRAME_COLUMNS, "aggregation"]]
    frame["period_start"] = pd.to_datetime(frame["period_start"])
    frame["period_end"] = pd.to_datetime(frame["period_end"])
    frame["value"] = frame["value"].astype(float)
    frame["numerator"] = frame["numerator"].astype("Int64")
    frame["denominator"] = frame["denominator"].astype("Int64")
    frame["approved"] = frame["approved"].astype(bool)
    return frame


CHILD_EVENT_COLUMNS = ["group", "start_date", "event_date", "period_end"]


def child_event_frames(
    *, partner: Partner, evaluation, snapshot: dict, measure_codes, period_from=None, period_to=None
) -> "dict[str, pd.DataFrame]":
    """For time to event, per measure code: one row per child (pseudonym) and group of the measure's
    child-level rows behind a snapshot's values (`outcome_snapshot`): the rows of the uploads whose
    values the snapshot holds, for the same measure, group and period, so a report version reads the
    children it read when it was built. Each child's earliest start_date, first event_date (None: no
    event) and last period_end (where a child without an event is censored). `period_from` /
    `period_to`: only periods wholly between them (a plan's window). Columns: CHILD_EVENT_COLUMNS."""
    values = OutcomeValue.objects.filter(
        partner=partner, evaluation=evaluation, pk__in=snapshot["value_ids"], measure__code__in=list(measure_codes)
    )
    if period_from is not None:
        values = values.filter(period_start__gte=period_from)
    if period_to is not None:
        values = values.filter(period_end__lte=period_to)
    # The snapshot's (upload, group) pairs with their periods, for every measure in one query: a few,
    # read first, so that each measure's child rows are one scan of its rows whatever the planner
    # knows. (A correlated EXISTS over the snapshot's value ids was planned as a nested loop on a
    # freshly loaded table: 198 s for 4,000 child rows.)
    behind: dict[str, dict[tuple[int, str], set]] = {code: {} for code in measure_codes}
    measure_ids: dict[str, set] = {code: set() for code in measure_codes}
    for code, submission_id, measure_id, group, period_start in values.values_list(
        "measure__code", "submission_id", "measure_id", "group", "period_start"
    ).distinct():
        behind[code].setdefault((submission_id, group), set()).add(period_start)
        measure_ids[code].add(measure_id)
    if any(behind.values()) and connection.in_atomic_block:
        # Each child's rows are aggregated in memory, not sorted on disk (PostgreSQL's default 4 MB of
        # work_mem spilled 150,000 children: 320 ms a measure, 250 ms in memory). For the rest of
        # this transaction, a report's.
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('work_mem', %s, true)", [CHILD_EVENTS_WORK_MEM])
    return {
        code: _child_events(partner=partner, evaluation=evaluation, measure_ids=measure_ids[code], behind=behind[code])
        for code in measure_codes
    }


CHILD_EVENTS_WORK_MEM = "64MB"


def _child_events(*, partner: Partner, evaluation, measure_ids: set, behind: dict) -> "pd.DataFrame":
    import pandas as pd  # only the report worker needs pandas

    rows = []
    if behind:  # else the snapshot holds no value of the measure: no child rows
        which = Q(pk__in=[])
        for (submission_id, group), starts in sorted(behind.items()):
            which |= Q(submission_id=submission_id, group=group, period_start__in=sorted(starts))
        rows = (
            ChildRecord.objects.filter(partner=partner, evaluation=evaluation, measure_id__in=sorted(measure_ids))
            .filter(which)
            .values("child_digest", "key_version", "group")
            .annotate(start=Min("start_date"), event=Min("event_date"), end=Max("period_end"))
            .order_by()  # sorted below: PostgreSQL sorting the text groups took a third of the read
            .values_list("group", "start", "event", "end")
        )
    frame = pd.DataFrame(list(rows), columns=CHILD_EVENT_COLUMNS)
    for column in CHILD_EVENT_COLUMNS[1:]:
        frame[column] = pd.to_datetime(frame[column])
    # In a fixed order whatever the plan: rows equal in every column are the same row of the frame.
    return frame.sort_values(CHILD_EVENT_COLUMNS, kind="mergesort", ignore_index=True)


def snapshot_submissions(*, partner: Partner, evaluation, snapshot: dict) -> list[tuple[str, object]]:
    """(file name, when uploaded) of each upload the snapshot's values came from, oldest first."""
    return list(
        Submission.objects.filter(partner=partner, evaluation=evaluation, values__pk__in=snapshot["value_ids"])
        .distinct()
        .order_by("created_at")
        .values_list("filename", "created_at")
    )


QUERY_COLUMNS = (
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
    "measure__child_aggregation",
)


def template_rows(*, partner: Partner, evaluation, today) -> list[list[str]]:
    """The rows of an evaluation's pre-filled template: each measure of its current plan, for each
    group the design compares, for each whole period (at the measure's frequency) of the plan's
    baseline and follow-up windows that has ended by ``today``; values left empty."""
    from evaluations import selectors as evaluation_selectors
    from measures import selectors as measure_selectors
    from outcomes.periods import periods_within

    plan = evaluation_selectors.plan_current(partner=partner, evaluation=evaluation)
    if plan is None:
        return []
    frequencies = {m.code: m.frequency for m in measure_selectors.measure_list(partner=partner)}
    comparing = (plan.Design.DID, plan.Design.RCT, plan.Design.TIME_TO_EVENT)
    groups = ["intervention", "comparison"] if plan.design in comparing else ["intervention"]
    windows = [(plan.baseline_start, plan.baseline_end), (plan.follow_up_start, plan.follow_up_end)]
    rows = []
    for entry in plan.measures:
        code = entry.get("code")
        if code not in frequencies:
            continue
        periods = sorted(
            {period for first, last in windows if first and last for period in periods_within(first, last, frequencies[code])}
        )
        for start, end in periods:
            if end < today:
                rows += [[code, f"{start:%d/%m/%Y}", f"{end:%d/%m/%Y}", group, "", "", ""] for group in groups]
    return rows
