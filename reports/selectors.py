"""Reads of reports."""

from django.db.models import BooleanField, ExpressionWrapper, Prefetch, Q, QuerySet

from pine.models import Partner
from reports.models import PublishedReport, Report, ReportFinalisation


def _with_finalisations(qs: QuerySet[Report]) -> QuerySet[Report]:
    """Each report with its requests to mark it final, newest first (``Report.latest_finalisation``)."""
    history = ReportFinalisation.objects.order_by("-created_at", "-pk")
    return qs.prefetch_related(Prefetch("finalisations", queryset=history, to_attr="finalisation_history"))


def report_list(*, partner: Partner, evaluation=None) -> QuerySet[Report]:
    # The files stay in the database until someone downloads one.
    qs = _with_finalisations(
        Report.objects.filter(partner=partner).defer(*Report.FILE_FIELDS.values()).select_related("evaluation", "plan")
    )
    return qs if evaluation is None else qs.filter(evaluation=evaluation)


def report_get(*, partner: Partner, code) -> Report | None:
    return report_list(partner=partner).filter(code=code).first()


def report_file(*, partner: Partner, code, kind: str) -> tuple[Report, bytes] | None:
    """A finished report and the bytes of one of its files: a kind of Report.FILE_KINDS
    ("json" is the results)."""
    if kind not in Report.FILE_KINDS:
        return None
    report = (
        Report.objects.filter(partner=partner, code=code, status=Report.Status.DONE)
        .select_related("evaluation", "partner")
        .defer(*(field for other, field in Report.FILE_FIELDS.items() if other != kind))  # one file, not all
        .first()
    )
    if report is None:
        return None
    content = getattr(report, Report.FILE_FIELDS[kind])
    return (report, bytes(content)) if content is not None else None


# --- final and published reports ---------------------------------------------------------------------


def report_finalisation_latest(*, partner: Partner, report: Report) -> ReportFinalisation | None:
    """The latest request to mark a version final (its job: queued, running, done or failed)."""
    return report.latest_finalisation if report.partner_id == partner.pk else None


def report_list_awaiting_approval() -> QuerySet[Report]:
    """Final versions waiting for a practice admin's approval, oldest first (the practice scope)."""
    return _with_finalisations(
        Report.objects.filter(publication=Report.Publication.FINAL)
        .defer(*Report.FILE_FIELDS.values())
        .select_related("evaluation", "partner", "plan")
        .order_by("finalised_at")
    )


def report_get_for_practice(*, code) -> Report | None:
    """A finished version of any partner, for the practice team (the practice scope)."""
    return (
        Report.objects.filter(code=code, status=Report.Status.DONE)
        .defer(*Report.FILE_FIELDS.values())
        .select_related("evaluation__application__cohort", "partner", "plan", "finalised_by")
        .first()
    )


def published_report_list(*, text: str = "", cohort: str = "", theme: str = "") -> QuerySet[PublishedReport]:
    """Published reports for anyone, newest first: text matches the partner, evaluation, practice,
    cohort, theme or key messages; cohort and theme match exactly. Reads only the partner-less
    published copies, never a tenant table."""
    # Whatever was typed: PostgreSQL text cannot hold NUL, and ten words are plenty.
    text, cohort, theme = (value.replace("\x00", "") for value in (text, cohort, theme))
    qs = PublishedReport.objects.defer(*PublishedReport.FILE_FIELDS.values()).annotate(
        **{
            f"has_{kind}": ExpressionWrapper(Q(**{f"{kind}__isnull": False}), output_field=BooleanField())
            for kind in PublishedReport.OPTIONAL_FILES
        }
    )
    for word in text.split()[:10]:
        qs = qs.filter(
            Q(partner_name__icontains=word)
            | Q(evaluation_title__icontains=word)
            | Q(practice_title__icontains=word)
            | Q(cohort_name__icontains=word)
            | Q(theme__icontains=word)
            | Q(narrative__icontains=word)
            | Q(key_messages__icontains=word)
        )
    if cohort:
        qs = qs.filter(cohort_name=cohort)
    if theme:
        qs = qs.filter(theme=theme)
    return qs.order_by("superseded_by_version", "-published_at")


def published_filter_choices() -> tuple[list[str], list[str]]:
    """The cohorts and themes that have a published report, for the filters."""
    published = PublishedReport.objects.order_by()
    cohorts = sorted(set(published.values_list("cohort_name", flat=True)))
    themes = sorted({t for t in published.values_list("theme", flat=True) if t})
    return cohorts, themes


def published_report_file(*, code, kind: str) -> tuple[PublishedReport, bytes] | None:
    if kind not in Report.FILE_KINDS:
        return None
    field = PublishedReport.FILE_FIELDS[kind]
    others = [other for other in PublishedReport.FILE_FIELDS.values() if other != field]
    published = PublishedReport.objects.defer(*others).filter(code=code).first()  # one file, not all
    if published is None or getattr(published, field) is None:  # an early copy has no workbook or document
        return None
    return published, bytes(getattr(published, field))
