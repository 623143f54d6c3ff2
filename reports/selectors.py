"""Reads of reports."""

from django.db.models import QuerySet

from pine.models import Partner
from reports.models import Report


def report_list(*, partner: Partner, evaluation=None) -> QuerySet[Report]:
    # The files stay in the database until someone downloads one.
    qs = Report.objects.filter(partner=partner).defer(*Report.FILE_FIELDS.values()).select_related("evaluation", "plan")
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
