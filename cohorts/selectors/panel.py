"""The selection panel of a cohort: every application with its reviewers' scores and the
statistics of ``cohorts.panel``. Practice team only (reviews sit behind a practice-only policy).

``panel_get`` reads everything in four queries, however many applications, reviewers and
criteria there are: the applications (with their partners), the rubric, every submitted score, and
the reviews still outstanding.
"""

import math
from dataclasses import dataclass, field

from django.db.models import Count

from cohorts import panel as statistics
from cohorts.models import Application, Cohort, Criterion, Decision, Review, ReviewAssignment, Score


@dataclass(frozen=True)
class PanelReviewer:
    id: int
    name: str


@dataclass
class PanelReview:
    """One reviewer's submitted review of one application: the weighted total and each score."""

    reviewer: PanelReviewer
    total: float
    scores: list[int | None]  # in the order of the panel's criteria


@dataclass(frozen=True)
class CriterionScores:
    """One criterion of one application: each reviewer's score, in the order of its reviews."""

    criterion: Criterion
    scores: list[int | None]
    disagree: bool


@dataclass
class PanelRow:
    application: Application
    reviews: list[PanelReview]
    mean: float | None
    median: float | None
    spread: float | None
    flagged: bool
    disagreements: list[Criterion]
    totals: list[float | None] = field(default_factory=list)  # in the order of the panel's reviewers
    criterion_scores: list[CriterionScores] = field(default_factory=list)
    outstanding: int = 0  # reviewers assigned (no conflict) whose review is not submitted

    @property
    def review_count(self) -> int:
        return len(self.reviews)

    def review_by(self, reviewer: PanelReviewer) -> PanelReview | None:
        return next((r for r in self.reviews if r.reviewer == reviewer), None)


@dataclass
class Panel:
    cohort: Cohort
    criteria: list[Criterion]
    reviewers: list[PanelReviewer]
    rows: list[PanelRow]


def _number(value) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def panel_get(*, cohort: Cohort) -> Panel:
    """Every submitted application of the cohort (drafts are not the panel's business), in the
    order of the partners' names, with its submitted reviews and their statistics."""
    applications = list(
        Application.objects.filter(cohort=cohort)
        .exclude(status=Application.Status.DRAFT)
        .select_related("partner")
        .order_by("partner__name", "practice_title")
    )
    criteria = list(Criterion.objects.filter(cohort=cohort).order_by("position"))
    scores = list(
        Score.objects.filter(review__application__cohort=cohort, review__status=Review.Status.SUBMITTED)
        .order_by("review__reviewer__full_name", "review__reviewer_id", "criterion__position")
        .values_list("review__application_id", "review__reviewer_id", "review__reviewer__full_name", "criterion_id", "score")
    )
    by_id = {c.pk: c for c in criteria}
    reviewers = list(dict.fromkeys(PanelReviewer(reviewer_id, name) for _, reviewer_id, name, _, _ in scores))
    reviewer_by_id = {r.id: r for r in reviewers}

    frame = [
        (application_id, reviewer_id, criterion_id, score, by_id[criterion_id].weight, by_id[criterion_id].counted)
        for application_id, reviewer_id, _, criterion_id, score in scores
        if criterion_id in by_id
    ]
    stats = statistics.application_statistics(
        frame, threshold=cohort.disagreement_threshold, applications=[a.pk for a in applications]
    )
    score_of = {(a, r, c): s for a, r, _, c, s in scores}
    reviews_of: dict[int, list[PanelReview]] = {}
    for review in statistics.review_totals(frame).itertuples(index=False):
        reviews_of.setdefault(review.application, []).append(
            PanelReview(
                reviewer=reviewer_by_id[review.reviewer],
                total=float(review.total),
                scores=[score_of.get((review.application, review.reviewer, c.pk)) for c in criteria],
            )
        )
    position = {c.pk: i for i, c in enumerate(criteria)}
    outstanding = dict(
        ReviewAssignment.objects.filter(application__cohort=cohort)
        .exclude(conflict=ReviewAssignment.Conflict.DECLARED)
        .exclude(review__status=Review.Status.SUBMITTED)
        .values("application_id")
        .annotate(n=Count("pk"))
        .values_list("application_id", "n")
    )

    rows = []
    for application in applications:
        reviews = reviews_of.get(application.pk, [])
        total_by_reviewer = {r.reviewer.id: r.total for r in reviews}
        line = stats.loc[application.pk]
        disagreements = sorted((by_id[c] for c in line["disagreements"]), key=lambda c: position[c.pk])
        rows.append(
            PanelRow(
                application=application,
                reviews=reviews,
                mean=_number(line["mean"]),
                median=_number(line["median"]),
                spread=_number(line["spread"]),
                flagged=bool(line["flagged"]),
                disagreements=disagreements,
                totals=[total_by_reviewer.get(r.id) for r in reviewers],
                criterion_scores=[
                    CriterionScores(c, [r.scores[i] for r in reviews], c in disagreements) for i, c in enumerate(criteria)
                ],
                outstanding=outstanding.get(application.pk, 0),
            )
        )
    return Panel(cohort=cohort, criteria=criteria, reviewers=reviewers, rows=rows)


# --- choosing and ordering rows -------------------------------------------------------------------

NO_DECISION = "none"
SORTS = {
    # key: (what it sorts on, highest first by default)
    "name": (lambda row: (row.application.partner.name.lower(), row.application.practice_title.lower()), False),
    "mean": (lambda row: row.mean, True),
    "median": (lambda row: row.median, True),
    "spread": (lambda row: row.spread, True),
}
DEFAULT_SORT = "name"


def panel_rows(
    panel: Panel, *, flagged: bool = False, decision: str = "", status: str = "", sort: str = DEFAULT_SORT
) -> list[PanelRow]:
    """The panel's rows, filtered and sorted. ``sort`` is a key of ``SORTS``, optionally with a
    leading ``-`` to reverse its usual order; rows without reviews come last either way."""
    rows = panel.rows
    if flagged:
        rows = [r for r in rows if r.flagged]
    if decision == NO_DECISION:
        rows = [r for r in rows if not r.application.pending_decision]
    elif decision in Decision.values:
        rows = [r for r in rows if r.application.pending_decision == decision]
    if status in Application.Status.values:
        rows = [r for r in rows if r.application.status == status]
    name = sort.removeprefix("-")
    key, descending = SORTS.get(name, SORTS[DEFAULT_SORT])
    if sort.startswith("-"):
        descending = not descending
    present = [r for r in rows if key(r) is not None]
    missing = [r for r in rows if key(r) is None]
    return sorted(present, key=key, reverse=descending) + missing


# --- the download: one row per application ----------------------------------------------------------


def _rounded(value: float | None):
    return "" if value is None else round(value, 2)


def panel_table(panel: Panel, rows: list[PanelRow]) -> tuple[list[str], list[list]]:
    """Header and rows of the panel's download: the statistics, then each reviewer's total, then
    each reviewer's score on each criterion (empty where they did not review the application)."""
    header = [
        "Partner",
        "Practice",
        "Status",
        "Pending decision",
        "Submitted reviews",
        "Mean",
        "Median",
        "Spread",
        "Reviewers disagree",
        "Criteria in disagreement",
    ]
    header += [f"{r.name}: total" for r in panel.reviewers]
    header += [f"{r.name}: {c.title}" for r in panel.reviewers for c in panel.criteria]
    table = []
    for row in rows:
        a = row.application
        line = [
            a.partner.name,
            a.practice_title,
            a.get_status_display(),
            a.get_pending_decision_display() if a.pending_decision else "",
            row.review_count,
            _rounded(row.mean),
            _rounded(row.median),
            _rounded(row.spread),
            "Yes" if row.flagged else "No",
            "; ".join(c.title for c in row.disagreements),
        ]
        line += [_rounded(t) for t in row.totals]
        for reviewer in panel.reviewers:
            review = row.review_by(reviewer)
            line += [("" if s is None else s) for s in (review.scores if review else [None] * len(panel.criteria))]
        table.append(line)
    return header, table
