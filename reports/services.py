"""Writes of reports, and the report build a Celery worker runs."""

import logging

from django.conf import settings
from django.db import OperationalError, transaction
from django.db.models import Q
from django.utils import timezone

from outcomes.selectors import outcome_frame
from pine import jobs
from pine.audit import audit_record
from pine.models import Partner, User
from pine.tenancy import partner_scope
from reports.models import Report

logger = logging.getLogger(__name__)


@transaction.atomic
def report_request(*, partner: Partner, actor: User, evaluation) -> Report:
    """Queue a report build; the worker picks it up once this transaction has committed."""
    from reports.tasks import build_report

    if evaluation.partner_id != partner.pk:
        raise ValueError("evaluation belongs to another partner")
    report = Report(partner=partner, evaluation=evaluation, requested_by=actor, stage="Waiting for a worker")
    report.full_clean()
    report.save()
    audit_record(actor=actor, partner=partner, action="report.request", obj=report)
    transaction.on_commit(lambda: build_report.delay(report.pk))
    return report


def _update(report_id: int, partner_id: int, **fields) -> int:
    return jobs.update_row(Report, report_id, partner_id, **fields)


def report_build(*, report_id: int) -> str:
    """Build a report's HTML and PDF. Idempotent: a report that is done, failed or being built by a
    live worker is left alone; one whose worker died (running past the time limit) is taken over.
    The files and the "done" status are written in one transaction, so there is never half a report."""
    from reports.documents import build_report, start_chart_renderer  # pandas, plotly, WeasyPrint: workers only

    partner_id = jobs.partner_of(Report, report_id)
    if partner_id is None:
        return "missing"
    with transaction.atomic(), partner_scope(partner_id):
        claimable = Q(status=Report.Status.QUEUED) | Q(status=Report.Status.RUNNING, started_at__lt=jobs.stale_before())
        claimed = Report.objects.filter(claimable, pk=report_id).update(
            status=Report.Status.RUNNING, started_at=timezone.now(), progress=5, stage="Reading the data"
        )
    if not claimed:
        return "skipped"

    start_chart_renderer()  # once per process; workers also start it when they fork

    def progress(percent: int, stage: str) -> None:
        _update(report_id, partner_id, progress=max(5, min(int(percent), 99)), stage=stage[:200])

    try:
        with transaction.atomic(), partner_scope(partner_id):
            report = Report.objects.select_related("evaluation", "partner").defer("html", "pdf").get(pk=report_id)
            frame = outcome_frame(partner=report.partner, evaluation=report.evaluation)
        files = build_report(
            frame,
            title=report.evaluation.title,
            partner_name=report.partner.name,
            generated_at=timezone.now(),
            threshold=settings.SUPPRESSION_THRESHOLD,
            progress=progress,
        )
    except OperationalError:
        # The database went away: hand the report back to the queue for a retry.
        _update(report_id, partner_id, status=Report.Status.QUEUED, stage="Waiting to retry")
        raise
    except Exception:
        logger.exception("Report %s failed", report_id)
        _update(
            report_id,
            partner_id,
            status=Report.Status.FAILED,
            finished_at=timezone.now(),
            error="The report could not be built. The practice team has been told; try again later.",
        )
        return "failed"
    _update(
        report_id,
        partner_id,
        status=Report.Status.DONE,
        progress=100,
        stage="Ready",
        html=files.html,
        pdf=files.pdf,
        finished_at=timezone.now(),
    )
    return "done"
