"""Writes of reports, and the report build a Celery worker runs."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from outcomes.selectors import outcome_frame
from pine import jobs
from pine.audit import audited_create
from pine.changes import announce_evaluation_changed
from pine.models import Partner, User
from reports.models import Report


@transaction.atomic
def report_request(*, partner: Partner, actor: User, evaluation) -> Report:
    """Queue a report build; the worker picks it up once this transaction has committed (or, if the
    broker is away, once it is back: ``pine.jobs.enqueue``)."""
    from reports.tasks import build_report

    if evaluation.partner_id != partner.pk:
        raise ValueError("evaluation belongs to another partner")
    report = Report(partner=partner, evaluation=evaluation, requested_by=actor, stage="Waiting for a worker")
    audited_create(report, actor=actor, partner=partner, action="report.request", changes={})
    jobs.enqueue(build_report, report.pk)
    return report


def report_build(*, report_id: int) -> str:
    """Build a report's HTML and PDF (the job runner claims the row and handles failure).
    Idempotent: a report that is done, failed or being built by a live worker is left alone; one
    whose worker died is taken over. The files and the "done" status are written in one statement,
    so there is never half a report."""
    return jobs.run_job(
        Report,
        report_id,
        _build,
        first_stage="Reading the data",
        failure=_failure,
    )


def _failure(cause: str) -> dict:
    because = f" because {cause}; nothing of it was kept" if cause else ""
    return {"error": f"The report could not be built{because}. The practice team has been told; try again later."}


def _build(job: jobs.Job) -> str:
    from reports.documents import build_report, start_chart_renderer  # pandas, plotly, WeasyPrint: workers only

    start_chart_renderer()  # once per process; workers also start it when they fork
    with job.atomic():
        report = Report.objects.select_related("evaluation", "partner").defer("html", "pdf").get(pk=job.pk)
        frame = outcome_frame(partner=report.partner, evaluation=report.evaluation)
    files = build_report(
        frame,
        title=report.evaluation.title,
        partner_name=report.partner.name,
        generated_at=timezone.now(),
        threshold=settings.SUPPRESSION_THRESHOLD,
        progress=job.progress,
    )
    job.update(
        status=Report.Status.DONE,
        progress=100,
        stage="Ready",
        html=files.html,
        pdf=files.pdf,
        finished_at=timezone.now(),
    )
    with job.atomic():
        announce_evaluation_changed(partner_id=report.partner_id, evaluation_id=report.evaluation_id, what="report")
    return Report.Status.DONE
