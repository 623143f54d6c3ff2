"""Writes of reports, and the report build a Celery worker runs."""

import functools
import hashlib
import json
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from evaluations import selectors as evaluation_selectors
from evaluations.models import Evaluation
from outcomes import selectors as outcome_selectors
from pine import jobs
from pine.audit import audit_record, audited_create
from pine.changes import announce_evaluation_changed
from pine.models import Partner, User
from reports import selectors
from reports.models import Report

# The analysis code whose version a report records: the same files give the same code version.
ANALYSIS_MODULES = ("analysis.py", "disclosure.py", "estimates.py", "evidence.py")


@transaction.atomic
def report_request(*, partner: Partner, actor: User, evaluation) -> Report:
    """Queue a report build, the evaluation's next version; the worker picks it up once this
    transaction has committed (or, if the broker is away, once it is back: ``pine.jobs.enqueue``).
    The version fixes now what it is built from: the plan it follows and the data as it stands."""
    from reports.tasks import build_report

    if evaluation.partner_id != partner.pk:
        raise ValueError("evaluation belongs to another partner")
    report = Report(partner=partner, evaluation=evaluation, requested_by=actor, stage="Waiting for a worker")
    _fix_inputs(report)
    if not report.snapshot["value_ids"]:
        raise ValidationError("There is no outcome data yet: upload some before building a report.")
    audited_create(report, actor=actor, partner=partner, action="report.request", changes={"version": report.version})
    jobs.enqueue(build_report, report.pk)
    return report


def _fix_inputs(report: Report) -> None:
    """Give a new version its number and what it is built from: the plan it follows, the data as
    it stands, the code version and the parameters (in the caller's transaction)."""
    evaluation, partner = report.evaluation, report.partner
    Evaluation.objects.select_for_update().filter(pk=evaluation.pk).first()  # one version number at a time
    latest = Report.objects.filter(evaluation=evaluation).aggregate(latest=Max("version"))["latest"] or 0
    plan = evaluation_selectors.plan_for_report(partner=partner, evaluation=evaluation)
    report.version = latest + 1
    report.plan = plan
    report.draft = plan is None or plan.status != plan.Status.SIGNED_OFF
    report.snapshot = outcome_selectors.outcome_snapshot(partner=partner, evaluation=evaluation)
    report.code_version = code_version()
    report.parameters = {"threshold": settings.SUPPRESSION_THRESHOLD}


@functools.cache
def code_version() -> str:
    """PINE's version and a fingerprint of the analysis code, e.g. "0.1.0+analysis.3f2a9c1b0d4e"."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        release = version("pine")
    except PackageNotFoundError:
        release = "0"
    digest = hashlib.sha256()
    folder = Path(__file__).resolve().parent
    for name in ANALYSIS_MODULES:
        digest.update(name.encode() + b"\0" + (folder / name).read_bytes())
    return f"{release}+analysis.{digest.hexdigest()[:12]}"


@transaction.atomic
def report_download(*, partner: Partner, actor: User, evaluation, code, kind: str) -> tuple[Report, bytes] | None:
    """A finished report of the evaluation and its file, for the practice team (None if there is
    none); every download is in the audit trail."""
    found = selectors.report_file(partner=partner, code=code, kind=kind)
    if found is None or found[0].evaluation_id != evaluation.pk:
        return None
    audit_record(actor=actor, partner=partner, action="report.download", obj=found[0], changes={"kind": kind})
    return found


def report_build(*, report_id: int) -> str:
    """Build a report's results JSON, HTML and PDF (the job runner claims the row and handles
    failure). Idempotent: a report that is done, failed or being built by a live worker is left
    alone; one whose worker died is taken over. The files and the "done" status are written in one
    statement, so there is never half a report."""
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


def report_results(*, report: Report) -> tuple[bytes, str]:
    """The results JSON of a report version, computed from what it recorded (plan, snapshot,
    parameters, earlier versions), and the SHA-256 of its data. Building a finished version again
    gives the bytes it stored."""
    _, results, checksum = _evidence(report)
    return results, checksum


def _evidence(report: Report):
    from reports import evidence  # pandas: workers only

    frame = outcome_selectors.outcome_frame_at(partner=report.partner, evaluation=report.evaluation, snapshot=report.snapshot)
    earlier = Report.objects.filter(
        evaluation=report.evaluation, status=Report.Status.DONE, version__lt=report.version, results__isnull=False
    ).order_by("version")
    documents = [json.loads(bytes(r.results)) for r in earlier.only("results")]
    hidden, shown = evidence.earlier_cells(documents)
    built = evidence.evidence_build(
        frame, plan_spec(report.plan), threshold=report.parameters["threshold"], earlier_hidden=hidden, earlier_shown=shown
    )
    checksum = evidence.frame_checksum(frame)
    document = evidence.results_document(
        built,
        report=str(report.code),
        evaluation=str(report.evaluation.code),
        version=report.version,
        data_checksum=checksum,
        code_version=report.code_version,
    )
    return built, evidence.results_json(document), checksum


def _context(report: Report, checksum: str):
    """What the report says about itself and its evaluation, besides the evidence."""
    from evaluations.theory import svg
    from pine.assets import plotly_js
    from reports.documents import ReportContext

    evaluation, partner = report.evaluation, report.partner
    application = evaluation.application
    theory = evaluation_selectors.theory_versions(partner=partner, evaluation=evaluation).order_by("-version").first()
    uploads = outcome_selectors.snapshot_submissions(partner=partner, evaluation=evaluation, snapshot=report.snapshot)
    return ReportContext(
        title=evaluation.title,
        partner_name=partner.name,
        version=report.version,
        generated_at=report.created_at,
        plan_version=report.plan.version if report.plan else 0,
        design_label=report.plan.get_design_display() if report.plan and report.plan.design else "",
        practice_title=application.practice_title,
        practice_summary=application.practice_summary,
        children_description=application.children_description,
        theory_svg=svg(theory.content, title=f"Theory of change: {evaluation.title}") if theory else "",
        submissions=tuple(f"{name} ({when:%-d %b %Y})" for name, when in uploads),
        data_checksum=checksum,
        code_version=report.code_version,
        plotly_js_url=settings.SITE_URL.rstrip("/") + reverse("plotly_js", args=[plotly_js()[1]]),
    )


def plan_spec(plan):
    """The plan version as the analysis reads it."""
    from reports.estimates import AnalysisPlan
    from reports.evidence import PlannedMeasure, PlanSpec

    if plan is None:
        return PlanSpec(version=0, signed_off=False, design="")
    dates = (plan.intervention_start, plan.baseline_start, plan.baseline_end, plan.follow_up_start, plan.follow_up_end)
    windows = None
    if all(dates):
        windows = AnalysisPlan(*dates, intervention_group=plan.intervention_rows, comparison_group=plan.comparison_rows)
    roles = plan.measure_roles()
    return PlanSpec(
        version=plan.version,
        signed_off=plan.status == plan.Status.SIGNED_OFF,
        design=plan.design,
        research_questions=plan.research_questions,
        windows=windows,
        comparison=plan.comparison_group,
        comparison_how_chosen=plan.comparison_how_chosen,
        measures=tuple(PlannedMeasure(m["code"], m["direction"], roles[m["code"]]) for m in plan.measures),
    )


def _build(job: jobs.Job) -> str:
    from reports.documents import build_report, start_chart_renderer  # pandas, plotly, WeasyPrint: workers only

    start_chart_renderer()  # once per process; workers also start it when they fork
    with job.atomic():
        report = (
            Report.objects.select_related("evaluation__application", "partner", "plan")
            .defer("html", "pdf", "results")
            .get(pk=job.pk)
        )
        if report.version is None:  # queued before versions existed: fixed now, when it is built
            _fix_inputs(report)
            report.save(update_fields=["version", "plan", "draft", "snapshot", "code_version", "parameters"])
        job.progress(10, "Analysing")
        evidence, results, checksum = _evidence(report)
        context = _context(report, checksum)
    files = build_report(evidence, context, progress=job.progress)
    job.update(
        status=Report.Status.DONE,
        progress=100,
        stage="Ready",
        html=files.html,
        pdf=files.pdf,
        results=results,
        data_checksum=checksum,
        finished_at=timezone.now(),
    )
    with job.atomic():
        announce_evaluation_changed(partner_id=report.partner_id, evaluation_id=report.evaluation_id, what="report")
    return Report.Status.DONE
