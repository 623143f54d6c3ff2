"""Reads for approval against the data: each period of an evaluation with its values, what changed
from earlier versions, the explanations the partner gave for warnings, and the queries sent back
and their answers. A fixed number of queries, however many periods and measures."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db import connection
from django.db.models import QuerySet

from evaluations.selectors import evaluation_list_for_practice
from outcomes.models import Group, OutcomeValue, PeriodApproval, PeriodQuery, Submission
from pine.models import Partner

GROUP_LABELS = dict(Group.choices)


@dataclass
class ValueRow:
    measure_code: str
    measure_name: str
    unit: str
    group: str
    value: object
    numerator: int | None
    denominator: int | None

    @property
    def group_label(self) -> str:
        return GROUP_LABELS.get(self.group, self.group)


@dataclass
class Change:
    """One value replaced by a later upload: old -> new, and when."""

    measure_name: str
    group: str
    old: OutcomeValue
    new: OutcomeValue

    @property
    def group_label(self) -> str:
        return GROUP_LABELS.get(self.group, self.group)


@dataclass
class Explanation:
    submission: Submission
    warnings: list[dict]


@dataclass
class PeriodReview:
    period_start: date
    period_end: date
    approval: PeriodApproval | None = None
    values: list[ValueRow] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    explanations: list[Explanation] = field(default_factory=list)
    queries: list[PeriodQuery] = field(default_factory=list)

    @property
    def open_query(self) -> PeriodQuery | None:
        return next((q for q in self.queries if q.is_open), None)

    @property
    def can_be_approved(self) -> bool:
        return self.approval is None and self.open_query is None

    @property
    def status(self) -> str:
        if self.approval is not None:
            return "approved"
        if self.open_query is not None:
            return "queried"
        if self.queries:
            return "answered"
        return "unapproved"


def period_query_list(*, partner: Partner, evaluation=None) -> QuerySet[PeriodQuery]:
    qs = PeriodQuery.objects.filter(partner=partner).select_related("evaluation", "asked_by", "answered_by", "answer_submission")
    return qs if evaluation is None else qs.filter(evaluation=evaluation)


def open_query_periods(*, partner: Partner, evaluation) -> set:
    """The period starts with a query the partner has not answered yet."""
    return set(
        PeriodQuery.objects.filter(partner=partner, evaluation=evaluation, answered_at__isnull=True).values_list(
            "period_start", flat=True
        )
    )


def period_query_get(*, partner: Partner, code) -> PeriodQuery | None:
    return period_query_list(partner=partner).filter(code=code).first()


def period_review_list(*, partner: Partner, evaluation) -> list[PeriodReview]:
    """Every period of the evaluation's current data, oldest first, with all it takes to approve it
    against the data."""
    current = list(
        OutcomeValue.objects.filter(partner=partner, evaluation=evaluation, is_current=True)
        .select_related("measure")
        .order_by("period_start", "measure__name", "group")
    )
    periods: dict[date, PeriodReview] = {}
    for value in current:
        review = periods.setdefault(value.period_start, PeriodReview(value.period_start, value.period_end))
        review.period_end = max(review.period_end, value.period_end)
        review.values.append(
            ValueRow(
                value.measure.code,
                value.measure.name,
                value.measure.unit,
                value.group,
                value.value,
                value.numerator,
                value.denominator,
            )
        )
    for approval in PeriodApproval.objects.filter(
        partner=partner, evaluation=evaluation, unlocked_at__isnull=True
    ).select_related("approved_by"):
        if approval.period_start in periods:
            periods[approval.period_start].approval = approval
    # Earlier versions: each superseded value and the one that replaced it.
    superseded = (
        OutcomeValue.objects.filter(partner=partner, evaluation=evaluation, is_current=False, superseded_by__isnull=False)
        .select_related("measure", "submission", "superseded_by", "superseded_by__submission")
        .order_by("period_start", "measure__name", "group", "submission_id")
    )
    for old in superseded:
        if old.period_start in periods:
            periods[old.period_start].changes.append(Change(old.measure.name, old.group, old, old.superseded_by))
    # Explanations the partner gave for warnings, by the periods the warnings were about.
    explained = Submission.objects.filter(partner=partner, evaluation=evaluation, status=Submission.Status.ACCEPTED).exclude(
        explanation=""
    )
    for submission in explained.select_related("uploaded_by").order_by("created_at"):
        by_period = defaultdict(list)
        for warning in submission.warnings:
            by_period[warning.get("period_start")].append(warning)
        for start, review in periods.items():
            if by_period.get(start.isoformat()):
                review.explanations.append(Explanation(submission, by_period[start.isoformat()]))
    for query in period_query_list(partner=partner, evaluation=evaluation).order_by("asked_at"):
        if query.period_start in periods:
            periods[query.period_start].queries.append(query)
    return [periods[start] for start in sorted(periods)]


def measure_series(reviews: list[PeriodReview]) -> list[dict]:
    """Each measure's values over the periods, by group, for its chart and its table: [{code,
    name, unit, groups: [group labels], rows: [(period_start, {group: value})]}], by name."""
    measures: dict[str, dict] = {}
    for review in reviews:
        for row in review.values:
            measure = measures.setdefault(
                row.measure_code, {"code": row.measure_code, "name": row.measure_name, "unit": row.unit, "points": {}}
            )
            measure["points"].setdefault(review.period_start, {})[row.group] = row.value
    series = []
    for measure in sorted(measures.values(), key=lambda m: m["name"]):
        groups = [g for g in GROUP_LABELS if any(g in values for values in measure["points"].values())]
        rows = [(start, [measure["points"][start].get(g) for g in groups]) for start in sorted(measure["points"])]
        series.append(
            {**{k: measure[k] for k in ("code", "name", "unit")}, "groups": [(g, GROUP_LABELS[g]) for g in groups], "rows": rows}
        )
    return series


# --- the practice team's work queue (practice scope: every partner's rows) ----------------------------


def uploads_waiting_for_explanation() -> QuerySet[Submission]:
    """Uploads held until the partner explains their warnings, oldest first."""
    return (
        Submission.objects.filter(status=Submission.Status.NEEDS_EXPLANATION)
        .select_related("evaluation", "partner", "uploaded_by")
        .order_by("created_at", "pk")
    )


# Each evaluation's periods of current data, reduced to (evaluation, period) pairs first so that
# approvals and queries are looked up once a period, not once a value. The pairs come from a
# loose index scan (one probe of the partial index per pair) rather than a DISTINCT over every
# current value: with 100 evaluations x 60 periods x 60 values (360,000 rows) the DISTINCT took
# 0.27 s of the work queue's 0.46 s here (bench/dashboard.py --profile-page 'work queues').
PERIODS_AWAITING_APPROVAL = f"""
WITH RECURSIVE periods AS (
    (SELECT evaluation_id, period_start FROM {OutcomeValue._meta.db_table}
      WHERE is_current ORDER BY evaluation_id, period_start LIMIT 1)
    UNION ALL
    SELECT following.evaluation_id, following.period_start
    FROM periods, LATERAL (
        SELECT evaluation_id, period_start FROM {OutcomeValue._meta.db_table}
        WHERE is_current AND (evaluation_id, period_start) > (periods.evaluation_id, periods.period_start)
        ORDER BY evaluation_id, period_start LIMIT 1
    ) following
)
SELECT periods.evaluation_id,
       count(*) FILTER (WHERE query.id IS NULL) AS waiting,
       count(*) FILTER (WHERE query.id IS NOT NULL) AS queried,
       min(periods.period_start) FILTER (WHERE query.id IS NULL) AS first
FROM periods
LEFT JOIN {PeriodApproval._meta.db_table} approval
       ON approval.evaluation_id = periods.evaluation_id AND approval.period_start = periods.period_start
      AND approval.unlocked_at IS NULL
LEFT JOIN {PeriodQuery._meta.db_table} query
       ON query.evaluation_id = periods.evaluation_id AND query.period_start = periods.period_start
      AND query.answered_at IS NULL
WHERE approval.id IS NULL
GROUP BY periods.evaluation_id
HAVING count(*) FILTER (WHERE query.id IS NULL) > 0
"""


def periods_awaiting_approval() -> list[dict]:
    """Per evaluation with periods of current data neither approved nor queried: the evaluation,
    how many such periods (``waiting``), the earliest (``first``), and how many periods wait for
    the partner's answer to a query (``queried``). Two queries, however many partners; row-level
    security applies to each table as to any query."""
    with connection.cursor() as cursor:
        cursor.execute(PERIODS_AWAITING_APPROVAL)
        found = {pk: {"waiting": waiting, "queried": queried, "first": first} for pk, waiting, queried, first in cursor}
    evaluations = evaluation_list_for_practice().filter(pk__in=list(found))
    return sorted(
        ({**found[e.pk], "evaluation": e} for e in evaluations),
        key=lambda row: (row["first"], row["evaluation"].title),
    )
