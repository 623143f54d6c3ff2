"""Reads of stored dashboard figures, for the pages and the API. Nothing here aggregates outcome
rows: every number was computed by the worker and stored with the figures.

The practice team's reads cover every partner (the practice scope); a partner's, its own rows."""

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, Max, Q

from cohorts.selectors import applications as cohort_selectors
from evaluations import selectors as evaluation_selectors
from pine.models import Partner
from reports.dashboards import rules
from reports.dashboards.models import EvaluationFigures

# The big per-measure fields: the programme dashboard needs none of them.
MEASURE_FIELDS = ("measures", "shared", "completeness", "tasks")

STATUS_ORDER = {rules.AT_RISK: 0, rules.NEEDS_ATTENTION: 1, rules.ON_TRACK: 2}
STAGE_ORDER = {key: n for n, key in enumerate(rules.STAGES)}


@dataclass
class ProgrammeRow:
    """One evaluation on the programme dashboard; ``figures`` is None until the worker first
    computes them."""

    evaluation: object
    figures: EvaluationFigures | None

    @property
    def status(self) -> str:
        return self.figures.status if self.figures and self.figures.computed_at else ""

    @property
    def stage(self) -> str:
        return self.figures.stage if self.figures and self.figures.computed_at else ""

    @property
    def status_label(self) -> str:
        return rules.STATUSES.get(self.status, "Not computed yet")

    @property
    def stage_label(self) -> str:
        return rules.STAGES.get(self.stage, "")


@dataclass
class CohortGroup:
    cohort: object
    rows: list[ProgrammeRow]


SORTS = {
    "partner": ("Partner", lambda r: r.evaluation.partner.name.lower()),
    "status": ("Status, worst first", lambda r: (STATUS_ORDER.get(r.status, 3), r.evaluation.partner.name.lower())),
    "stage": ("Stage", lambda r: (STAGE_ORDER.get(r.stage, 9), r.evaluation.partner.name.lower())),
    "data_through": (
        "Data through, oldest first",
        lambda r: ((r.figures and r.figures.data_through) or date.min, r.evaluation.partner.name.lower()),
    ),
    "awaiting": ("Periods awaiting approval, most first", lambda r: (-(r.figures.awaiting_approval if r.figures else 0),)),
    "last_upload": (
        "Last upload, oldest first",
        lambda r: ((r.figures and r.figures.last_upload_at and r.figures.last_upload_at.timestamp()) or 0.0,),
    ),
}


def programme_rows(
    *, cohorts=None, cohort: str = "", stage: str = "", status: str = "", sort: str = "partner"
) -> list[CohortGroup]:
    """Every cohort (newest first), each with its evaluations and their figures, filtered by cohort
    slug, stage and status and sorted within each cohort. Three queries, however many partners
    (two when given the cohorts)."""
    cohorts = list(cohort_selectors.cohort_list()) if cohorts is None else cohorts
    evaluations = list(evaluation_selectors.evaluation_list_for_practice())
    figures = {f.evaluation_id: f for f in EvaluationFigures.objects.defer(*MEASURE_FIELDS)}
    key = SORTS.get(sort, SORTS["partner"])[1]
    groups = []
    for c in cohorts:
        if cohort and c.slug != cohort:
            continue
        rows = [ProgrammeRow(e, figures.get(e.pk)) for e in evaluations if e.cohort_id == c.pk]
        rows = [r for r in rows if (not stage or r.stage == stage) and (not status or r.status == status)]
        groups.append(CohortGroup(c, sorted(rows, key=key)))
    return groups


def programme_table(groups: list[CohortGroup]) -> tuple[list[str], list[list]]:
    """The dashboard as one table, for CSV and XLSX downloads."""
    header = [
        "Cohort",
        "Partner",
        "Evaluation",
        "Stage",
        "Status",
        "Why",
        "Data through",
        "Last upload",
        "Periods awaiting approval",
        "Overdue milestones",
        "Latest report",
        "Figures computed at",
    ]
    rows = []
    for group in groups:
        for row in group.rows:
            f = row.figures
            rows.append(
                [
                    group.cohort.name,
                    row.evaluation.partner.name,
                    row.evaluation.title,
                    rules.STAGES.get(row.stage, ""),
                    rules.STATUSES.get(row.status, "Not computed yet"),
                    "; ".join(f.status_reasons) if f else "",
                    _iso(f.data_through) if f else "",
                    _iso(f.last_upload_at) if f else "",
                    f.awaiting_approval if f else "",
                    len(f.overdue_milestones) if f else "",
                    _iso(f.latest_report_at) if f else "",
                    _iso(f.computed_at) if f else "",
                ]
            )
    return header, rows


def _iso(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def figures_get(*, partner: Partner, evaluation, with_measures: bool = True) -> EvaluationFigures | None:
    """One evaluation's figures (the per-measure ones read when first used unless ``with_measures``)."""
    figures = EvaluationFigures.objects.filter(partner=partner, evaluation=evaluation).defer("shared")
    return (figures if with_measures else figures.defer("measures")).first()


def cohort_version(*, cohort) -> str:
    """What a cohort's dashboard depends on, in a few numbers: its evaluations, its figures, when the
    latest was computed and how many are being updated (a cached dashboard is keyed by it)."""
    evaluations = evaluation_selectors.evaluation_list_for_practice().filter(cohort=cohort).count()
    found = EvaluationFigures.objects.filter(evaluation__cohort=cohort).aggregate(
        n=Count("id"), latest=Max("computed_at"), queued=Count("id", filter=Q(refresh_queued=True))
    )
    latest = found["latest"].isoformat() if found["latest"] else "none"
    return f"{cohort.pk}:{evaluations}:{found['n']}:{found['queued']}:{latest}"


def cohort_figures(*, cohort) -> list[tuple[object, EvaluationFigures | None]]:
    """Every evaluation of a cohort with its figures (without the partner's own per-measure
    figures: across partners only the shared, safe ones are read)."""
    evaluations = list(evaluation_selectors.evaluation_list_for_practice().filter(cohort=cohort).order_by("partner__name"))
    figures = {
        f.evaluation_id: f
        for f in EvaluationFigures.objects.filter(evaluation__in=[e.pk for e in evaluations]).defer("measures", "tasks")
    }
    return [(e, figures.get(e.pk)) for e in evaluations]
