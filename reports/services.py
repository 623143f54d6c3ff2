"""Writes of reports, and the report build a Celery worker runs."""

import contextlib
import functools
import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from evaluations import selectors as evaluation_selectors
from evaluations.models import Evaluation
from outcomes import selectors as outcome_selectors
from pine import forks, jobs, notifications
from pine import selectors as pine_selectors
from pine.access import require_practice_admin
from pine.audit import audit_record, audited_create, audited_update
from pine.changes import announce_evaluation_changed
from pine.models import Partner, Role, User
from reports import selectors
from reports.models import PublishedReport, Report, ReportFinalisation

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
    Evaluation.objects.select_for_update().filter(partner=partner, pk=evaluation.pk).first()  # one version number at a time
    latest = Report.objects.filter(partner=partner, evaluation=evaluation).aggregate(latest=Max("version"))["latest"] or 0
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
    """Build a report's results JSON, HTML, PDF, workbook and Word document (the job runner claims
    the row and handles failure). Idempotent: a report that is done, failed or being built by a live worker is left
    alone; one whose worker died is taken over. The files and the "done" status are written in one
    statement, so there is never half a report."""
    return jobs.run_job(
        Report,
        report_id,
        _build,
        first_stage="Reading the data",
        failure=_failure,
    )


def _documents(job: jobs.Job, evidence, context, *, workbook: bool) -> dict[str, bytes]:
    """The report's HTML, PDF and Word document, and its workbook if asked. The browser draws the
    charts (once, for the PDF and the Word document alike) while this thread writes the HTML, lays
    out the PDF with blank pictures in the charts' places and writes the workbook (which has no
    charts); then a second process writes the Word document while this one writes the PDF."""
    from reports import documents  # pandas, plotly, WeasyPrint: workers only
    from reports.word import report_docx
    from reports.workbook import report_workbook

    job.progress(40, "Drawing charts")
    sections = documents.report_sections(evidence, context)
    figures = documents.report_figures(evidence)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pine-charts") as pool:
        drawing = pool.submit(documents.draw_charts, figures)
        files = {"html": documents.report_html(sections, figures)}
        layout = documents.pdf_layout(sections, figures) if documents.charts_drawable() else None
        if workbook:
            files["xlsx"] = report_workbook(evidence, context)
        charts = drawing.result()

    job.progress(75, "Writing PDF")
    # The Word document in a second process, on the other core, while this one writes the PDF
    # (pine.forks: the value is the same if it is written here).
    with forks.forked(functools.partial(report_docx, evidence, context, charts=charts, sections=sections)) as docx:
        files["pdf"], _ = documents.report_pdf(sections, charts, layout=layout)
        job.progress(92, "Writing the Word document")
        files["docx"] = docx()
    return files


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
    spec = plan_spec(report.plan)
    children = _children(report, spec)
    earlier = Report.objects.filter(
        partner=report.partner,
        evaluation=report.evaluation,
        status=Report.Status.DONE,
        version__lt=report.version,
        results__isnull=False,
    ).order_by("version")
    documents = [json.loads(bytes(r.results)) for r in earlier.only("results")]
    hidden, shown = evidence.earlier_cells(documents)
    work = functools.partial(evidence.frame_checksum, frame, children)
    # A time-to-event plan's checksum covers its child rows (hundreds of thousands): written on the
    # other core while this one builds the evidence (pine.forks: the same value as written here).
    with forks.forked(work) if children else contextlib.nullcontext(work) as checksum_of:
        built = evidence.evidence_build(
            frame,
            spec,
            threshold=report.parameters["threshold"],
            earlier_hidden=hidden,
            earlier_shown=shown,
            children=children,
        )
        checksum = checksum_of()
    document = evidence.results_document(
        built,
        report=str(report.code),
        evaluation=str(report.evaluation.code),
        version=report.version,
        data_checksum=checksum,
        code_version=report.code_version,
    )
    return built, evidence.results_json(document), checksum


def _children(report: Report, spec) -> dict | None:
    """For a time-to-event plan: each planned measure's child rows behind the version's snapshot, in
    the plan's follow-up window (the groups are compared after the intervention started)."""
    from reports.evidence import TIME_TO_EVENT

    if spec.design != TIME_TO_EVENT or spec.windows is None:
        return None
    return outcome_selectors.child_event_frames(
        partner=report.partner,
        evaluation=report.evaluation,
        snapshot=report.snapshot,
        measure_codes=[planned.code for planned in spec.measures],
        period_from=spec.windows.follow_up_start,
        period_to=spec.windows.follow_up_end,
    )


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
        narrative=report.narrative,
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
        horizon_days=plan.horizon_days,
    )


def _build(job: jobs.Job) -> str:
    from reports.documents import start_chart_renderer  # pandas, plotly, WeasyPrint: workers only

    start_chart_renderer()  # once per process; workers also start it when they fork
    with job.atomic():
        report = (
            Report.objects.select_related("evaluation__application", "partner", "plan")
            .defer(*Report.FILE_FIELDS.values())
            .get(pk=job.pk)
        )
        if report.version is None:  # queued before versions existed: fixed now, when it is built
            _fix_inputs(report)
            report.save(update_fields=["version", "plan", "draft", "snapshot", "code_version", "parameters"])
        job.progress(10, "Analysing")
        evidence, results, checksum = _evidence(report)
        context = _context(report, checksum)
    files = _documents(job, evidence, context, workbook=True)
    job.update(
        status=Report.Status.DONE,
        progress=100,
        stage="Ready",
        html=files["html"],
        pdf=files["pdf"],
        results=results,
        xlsx=files["xlsx"],
        docx=files["docx"],
        data_checksum=checksum,
        finished_at=timezone.now(),
    )
    with job.atomic():
        announce_evaluation_changed(partner_id=report.partner_id, evaluation_id=report.evaluation_id, what="report")
    return Report.Status.DONE


# --- final, approval and publication ---------------------------------------------------------------
# A finished version's path to the public page: the partner's lead writes key messages in their own
# words and marks it final (its HTML and PDF are drawn again with them; the results JSON is never
# touched); a practice admin approves it, which copies it to the public PublishedReport table, or
# sends it back with a reason, which makes it not final again.

DRAFT_CANNOT_BE_FINAL = (
    "This version follows an evaluation plan that is not signed off (it is marked DRAFT), so it cannot be "
    "marked final. Once the practice team has signed off the plan, build a new version and mark that one final."
)


def _require_lead(*, partner: Partner, actor: User) -> None:
    membership = pine_selectors.membership_get(user=actor, partner_slug=partner.slug)
    if membership is None or not membership.allows(Role.LEAD):
        raise PermissionDenied(f"Only a lead at {partner} can do this.")


def _locked(report: Report) -> Report:
    return (
        Report.objects.select_for_update(of=("self",))
        .select_related("evaluation__application__cohort", "partner", "plan")
        .get(pk=report.pk)
    )


def _check_open(report: Report, *, finalisation: int | None = None) -> None:
    """Refuse a change to a version that is not finished, is DRAFT, is final, or is being marked
    final (by any job but ``finalisation``, the one doing it)."""
    if report.status != Report.Status.DONE:
        raise ValidationError("This report is not ready yet.")
    if report.version is None or report.results is None:
        raise ValidationError("This report was built before report versions: build a new version to mark final.")
    if report.draft:
        raise ValidationError(DRAFT_CANNOT_BE_FINAL)
    if report.publication != Report.Publication.NOT_FINAL:
        raise ValidationError("This version is final: nothing about it can change now.")
    if report.finalisations.filter(status__in=ReportFinalisation.ACTIVE).exclude(pk=finalisation).exists():
        raise ValidationError("This version is being marked final: nothing about it can change now.")


def narrative_errors(narrative: str) -> list[str]:
    words = len(narrative.split())
    if words > Report.NARRATIVE_MAX_WORDS:
        return [f"Key messages must be {Report.NARRATIVE_MAX_WORDS} words or fewer (these are {words} words)."]
    return []


@transaction.atomic
def report_narrative_update(*, partner: Partner, actor: User, report: Report, narrative: str) -> Report:
    """The partner's own key messages for a version that is not final yet (a lead's, at most 300 words)."""
    _require_lead(partner=partner, actor=actor)
    report = _locked(report)
    if report.partner_id != partner.pk:
        raise ValueError("report belongs to another partner")
    _check_open(report)
    narrative = narrative.strip()
    if errors := narrative_errors(narrative):
        raise ValidationError({"narrative": errors})
    audited_update(report, {"narrative": narrative}, actor=actor, partner=partner, action="report.narrative")
    return report


@transaction.atomic
def report_mark_final(*, partner: Partner, actor: User, report: Report) -> ReportFinalisation:
    """Ask for a finished version to be marked final (a lead's). A worker draws its HTML, PDF and
    Word document again with the partner's key messages, from the same evidence, and only then is
    the version final (``report_finalise``); its results JSON stays byte-identical. Until the
    worker is done the key messages cannot change and the page shows the progress."""
    from reports.tasks import finalise_report

    _require_lead(partner=partner, actor=actor)
    report = _locked(report)
    if report.partner_id != partner.pk:
        raise ValueError("report belongs to another partner")
    _check_open(report)
    finalisation = ReportFinalisation(
        partner=partner, report=report, requested_by=actor, stage="Waiting for a worker", progress=0
    )
    audited_create(
        finalisation, actor=actor, partner=partner, action="report.final_request", changes={"report": str(report.code)}
    )
    jobs.enqueue(finalise_report, finalisation.pk)
    return finalisation


def report_finalise(*, finalisation_id: int) -> str:
    """Draw a version's final files and mark it final (the job runner claims the row and handles
    failure). Idempotent: a finalisation that is done, failed or being worked on by a live worker is
    left alone. The files, the version's "final" and the job's "done" are written in one
    transaction: a failure or a killed worker leaves the version as it was, not final."""
    return jobs.run_job(
        ReportFinalisation,
        finalisation_id,
        _finalise,
        first_stage="Checking the results",
        failure=_final_failure,
    )


def _final_failure(cause: str) -> dict:
    because = f" because {cause}" if cause else ""
    return {
        "error": f"The report could not be marked final{because}. It is not final and nothing of it changed; "
        "try again later. The practice team has been told."
    }


NO_LONGER_REBUILT = (
    "This version can no longer be rebuilt from what it recorded, so it cannot be marked final. Build a new version."
)


def _finalise(job: jobs.Job) -> str:
    from reports.documents import start_chart_renderer  # pandas, plotly, WeasyPrint: workers only

    start_chart_renderer()
    with job.atomic():
        finalisation = ReportFinalisation.objects.select_related("report", "requested_by").get(pk=job.pk)
        report = (
            Report.objects.select_related("evaluation__application", "partner", "plan")
            .defer(*Report.FILE_FIELDS.values())
            .get(pk=finalisation.report_id)
        )
        if report.publication != Report.Publication.NOT_FINAL:  # already final (by an earlier run)
            return _finalisation_done(job)
        job.progress(10, "Checking the results")
        evidence, results, checksum = _evidence(report)
        stored = Report.objects.filter(pk=report.pk).values_list("results", flat=True).get()
        if stored is None or results != bytes(stored) or checksum != report.data_checksum:
            # The recorded inputs no longer give the recorded results: never finalise a different report.
            job.update(status=ReportFinalisation.Status.FAILED, finished_at=timezone.now(), error=NO_LONGER_REBUILT)
            return ReportFinalisation.Status.FAILED
        context = _context(report, checksum)
    files = _documents(job, evidence, context, workbook=False)
    with job.atomic():
        report = _locked(report)
        try:
            _check_open(report, finalisation=job.pk)
        except ValidationError as error:
            job.update(status=ReportFinalisation.Status.FAILED, finished_at=timezone.now(), error=" ".join(error.messages))
            return ReportFinalisation.Status.FAILED
        if report.narrative != context.narrative:  # cannot happen while the job is active; never mix versions
            raise RuntimeError("the key messages changed while the final files were drawn")
        actor = finalisation.requested_by
        audited_update(
            report,
            {
                "publication": Report.Publication.FINAL,
                "finalised_at": timezone.now(),
                "finalised_by": actor,
                "sent_back_reason": "",
            },
            actor=actor,
            partner=report.partner,
            action="report.final",
            quiet=("finalised_at",),
        )
        # The files are written whatever their size: audited_update compares bytes by their length.
        Report.objects.filter(pk=report.pk).update(html=files["html"], pdf=files["pdf"], docx=files["docx"])
        ReportFinalisation.objects.filter(pk=job.pk).update(
            status=ReportFinalisation.Status.DONE, progress=100, stage="Final", finished_at=timezone.now()
        )
        notifications.notify(
            recipients=notifications.practice_admins(),
            template="report_final",
            context={"report": report},
            link=reverse("reports:practice_report", args=[report.code]),
            partner=report.partner,
        )
    return ReportFinalisation.Status.DONE


def _finalisation_done(job: jobs.Job) -> str:
    ReportFinalisation.objects.filter(pk=job.pk).update(
        status=ReportFinalisation.Status.DONE, progress=100, stage="Final", finished_at=timezone.now()
    )
    return ReportFinalisation.Status.DONE


@transaction.atomic
def report_approve(*, actor: User, report: Report) -> PublishedReport:
    """Approve a final version for publication (a practice admin's, in the practice scope): it is
    copied to the public table, and earlier published versions of the evaluation are marked
    superseded. They stay downloadable: suppression is kept consistent across versions (a cell
    hidden in one version is hidden in every later one), so nothing can be recovered by
    differencing two of them."""
    require_practice_admin(actor, "approve a report for publication")
    report = _locked(report)
    if report.publication != Report.Publication.FINAL:
        raise ValidationError("Only a report its partner has marked final can be approved.")
    audited_update(
        report,
        {"publication": Report.Publication.PUBLISHED, "published_at": timezone.now(), "published_by": actor},
        actor=actor,
        partner=report.partner,
        action="report.approve",
        quiet=("published_at",),
    )
    published = _publish(report)
    lead_link = reverse("reports:report", args=[report.partner.slug, report.code])
    notifications.notify(
        recipients=_leads(report.partner),
        template="report_published",
        context={"report": report},
        link=lead_link,
        partner=report.partner,
    )
    return published


def _publish(report: Report) -> PublishedReport:
    evaluation = report.evaluation
    application = evaluation.application
    results = bytes(report.results)
    published = PublishedReport(
        report_code=report.code,
        evaluation_code=evaluation.code,
        version=report.version,
        partner_name=report.partner.name,
        evaluation_title=evaluation.title,
        cohort_name=application.cohort.name,
        theme=application.cohort.theme,
        practice_title=application.practice_title,
        narrative=report.narrative,
        key_messages=key_messages(json.loads(results)),
        html=bytes(report.html),
        pdf=bytes(report.pdf),
        results=results,
        xlsx=bytes(report.xlsx) if report.xlsx is not None else None,
        docx=bytes(report.docx) if report.docx is not None else None,
        published_at=report.published_at,
    )
    audited_create(
        published,
        actor=report.published_by,
        partner=None,
        action="published_report.create",
        changes={"report": str(report.code), "version": report.version},
    )
    # Every published version but the newest names the newest (approvals may come out of order).
    versions = PublishedReport.objects.filter(evaluation_code=evaluation.code)
    newest = versions.aggregate(newest=Max("version"))["newest"]
    versions.filter(version__lt=newest).update(superseded_by_version=newest)
    published.refresh_from_db()
    return published


def key_messages(results: dict) -> list[str]:
    """One sentence per planned measure from the results JSON, for the public page (the report's
    own key messages are in its HTML and PDF)."""
    sentences = []
    for measure in results.get("measures", []):
        role = "" if measure.get("primary") else " (secondary, exploratory)"
        sentence = f"{measure.get('name') or measure['measure']}{role}: {measure['conclusion']}"
        if measure.get("estimate") is not None and measure.get("ci_low") is not None:
            scale = f" {measure['scale']}" if measure.get("scale") else ""
            horizon = (measure.get("time_to_event") or {}).get("horizon_days")
            of = f" in the percentage of children who had the event by {horizon:,} days" if horizon else ""
            sentence += (
                f" (estimated change{of} {measure['estimate']:+g}{scale}, "
                f"95% interval {measure['ci_low']:+g} to {measure['ci_high']:+g})"
            )
        sentences.append(sentence + ".")
    return sentences


@transaction.atomic
def report_send_back(*, actor: User, report: Report, reason: str) -> Report:
    """Return a final version to its partner with a reason (a practice admin's): it is not final
    again, so its lead can change the key messages and mark it final once more."""
    require_practice_admin(actor, "send a report back")
    report = _locked(report)
    if report.publication != Report.Publication.FINAL:
        raise ValidationError("Only a report awaiting approval can be sent back.")
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the report is sent back, so its partner knows what to change."})
    audited_update(
        report,
        {"publication": Report.Publication.NOT_FINAL, "sent_back_reason": reason, "finalised_at": None, "finalised_by": None},
        actor=actor,
        partner=report.partner,
        action="report.send_back",
    )
    notifications.notify(
        recipients=_leads(report.partner),
        template="report_sent_back",
        context={"report": report, "reason": reason},
        link=reverse("reports:report", args=[report.partner.slug, report.code]),
        partner=report.partner,
    )
    return report


def _leads(partner: Partner) -> list[User]:
    return [user for user in notifications.partner_recipients(partner=partner) if _is_lead(user, partner)]


def _is_lead(user: User, partner: Partner) -> bool:
    membership = pine_selectors.membership_get(user=user, partner_slug=partner.slug)
    return membership is not None and membership.allows(Role.LEAD)


@transaction.atomic
def published_report_download(*, code, kind: str) -> tuple[PublishedReport, bytes] | None:
    """A published report's file for anyone (None if there is none); every download is counted in
    the audit trail (a partner-less record: only the practice team reads those)."""
    found = selectors.published_report_file(code=code, kind=kind)
    if found is not None:
        audit_record(actor=None, partner=None, action="published_report.download", obj=found[0], changes={"kind": kind})
    return found
