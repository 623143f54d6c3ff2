"""Writes of dashboard figures: asking for a refresh (debounced per evaluation) and the refresh a
Celery worker runs.

A refresh is asked for whenever an evaluation changes (``pine.changes``: uploads stored, approvals,
plan sign-offs, report builds). The first request marks the evaluation's figures as queued and sends
one task, delayed by ``REFRESH_DELAY_SECONDS``; further requests while it is queued do nothing, so a
burst gives one refresh. The worker clears the mark before it reads, so a change made while it works
queues the next refresh. Refreshing twice computes the same figures: a duplicated task is harmless."""

import logging
from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from evaluations import selectors as evaluation_selectors
from measures import selectors as measure_selectors
from outcomes import approval_selectors
from outcomes import selectors as outcome_selectors
from pine import jobs
from pine.locks import advisory_lock
from reports import selectors as report_selectors
from reports.dashboards import rules
from reports.dashboards.models import EvaluationFigures

logger = logging.getLogger(__name__)

REFRESH_DELAY_SECONDS = 5  # changes within this long of the first give one refresh


def on_evaluation_changed(sender, *, partner_id: int, evaluation_id: int, what: str = "", **kwargs) -> None:
    """``pine.changes.evaluation_changed``'s receiver."""
    figures_request_refresh(partner_id=partner_id, evaluation_id=evaluation_id)


def figures_request_refresh(*, partner_id: int, evaluation_id: int) -> bool:
    """Queue a refresh of the evaluation's figures once the caller's transaction commits, unless one
    is queued already. True when this call queued it."""
    with transaction.atomic():
        EvaluationFigures.objects.bulk_create(
            [EvaluationFigures(partner_id=partner_id, evaluation_id=evaluation_id)], ignore_conflicts=True
        )
        queued = EvaluationFigures.objects.filter(
            evaluation_id=evaluation_id, partner_id=partner_id, refresh_queued=False
        ).update(refresh_queued=True, refresh_requested_at=timezone.now())
        if queued:
            figures_id = EvaluationFigures.objects.filter(evaluation_id=evaluation_id).values_list("pk", flat=True).get()
            transaction.on_commit(lambda: _send(figures_id))
    return bool(queued)


def _send(figures_id: int) -> None:
    from reports.tasks import refresh_figures

    try:
        refresh_figures.apply_async((figures_id,), countdown=REFRESH_DELAY_SECONDS)
    except BrokerError:
        # It stays queued: the periodic resume (reports.tasks.resume_figures) sends it again.
        logger.warning("The broker is unreachable: figures %s stay queued until resumed", figures_id)


def figures_resume() -> int:
    """Send again every refresh still queued (the broker may have lost it): beat, every few minutes."""
    from reports.tasks import refresh_figures

    ids = jobs.across_partners(lambda: list(EvaluationFigures.objects.filter(refresh_queued=True).values_list("pk", flat=True)))
    for figures_id in ids:
        refresh_figures.delay(figures_id)
    return len(ids)


def figures_refresh(*, figures_id: int, today: date | None = None) -> str:
    """Compute and store one evaluation's figures (the task's work). Returns "missing" or "done"."""
    partner_id = jobs.partner_of(EvaluationFigures, figures_id)
    if partner_id is None:
        return "missing"
    today = today or timezone.localdate()
    with jobs.Job(EvaluationFigures, figures_id, partner_id).atomic():
        # One refresh of an evaluation at a time; the mark is cleared first, so a change from now on
        # queues the next refresh.
        advisory_lock(f"reports.figures:{figures_id}")
        figures = EvaluationFigures.objects.select_related("evaluation__partner", "evaluation__cohort").get(pk=figures_id)
        EvaluationFigures.objects.filter(pk=figures_id).update(refresh_queued=False)
        fields = compute_figures(figures.evaluation, today=today)
        EvaluationFigures.objects.filter(pk=figures_id).update(**fields, computed_at=timezone.now())
    return "done"


def figures_refresh_now(*, evaluation) -> EvaluationFigures:
    """Refresh an evaluation's figures at once, in this process (demo data, benchmarks, tests)."""
    in_scope = jobs.Job(EvaluationFigures, 0, evaluation.partner_id).atomic
    with in_scope():
        EvaluationFigures.objects.bulk_create(
            [EvaluationFigures(partner_id=evaluation.partner_id, evaluation_id=evaluation.pk)], ignore_conflicts=True
        )
        figures_id = EvaluationFigures.objects.filter(evaluation_id=evaluation.pk).values_list("pk", flat=True).get()
    figures_refresh(figures_id=figures_id)
    with in_scope():
        return EvaluationFigures.objects.get(pk=figures_id)


# --- what the figures are ----------------------------------------------------------------------------


def compute_figures(evaluation, *, today: date) -> dict:
    """Every stored field of an evaluation's figures, read through the apps' selectors (in the
    partner's scope) and worked out by the pure rules."""
    from reports.dashboards.measures import measure_figures, planned_periods, shared_figures

    partner = evaluation.partner
    onboarding = evaluation_selectors.onboarding_get(partner=partner, evaluation=evaluation)
    checklist = onboarding.checklist(today)
    onboarded = all(done for _, done in checklist)
    theory = evaluation_selectors.theory_get(partner=partner, evaluation=evaluation)
    plans = list(evaluation_selectors.plan_versions(partner=partner, evaluation=evaluation))
    current_plan = plans[0] if plans else None
    signed_off = next((p for p in plans if p.status == p.Status.SIGNED_OFF), None)
    milestones = list(evaluation_selectors.milestone_list(partner=partner, evaluation=evaluation))
    overdue = [m for m in milestones if m.is_overdue(today)]
    submissions = outcome_selectors.submission_list(partner=partner, evaluation=evaluation).exclude(dry_run=True)
    last_upload = submissions.order_by("-created_at").first()
    uploads_waiting = submissions.filter(status="needs_explanation").count()
    reports = list(report_selectors.report_list(partner=partner, evaluation=evaluation))
    latest_report = reports[0] if reports else None
    reports_done = sum(1 for r in reports if r.status == r.Status.DONE)

    frame = outcome_selectors.outcome_frame(partner=partner, evaluation=evaluation)
    approved = outcome_selectors.approved_periods(partner=partner, evaluation=evaluation)
    queried = approval_selectors.open_query_periods(partner=partner, evaluation=evaluation)
    received = {ts.date() for ts in frame["period_start"].unique()} if len(frame) else set()
    data_through = frame["period_end"].max().date() if len(frame) else None
    measures = {m.code: m for m in measure_selectors.measure_list(partner=partner)}
    planned = planned_periods(signed_off or current_plan, measures)
    next_period = rules.next_due(planned, received, today)
    dsa_expired = bool(onboarding.dsa_expires_on and onboarding.dsa_expires_on <= today)
    status = rules.status(
        today=today,
        overdue_milestones=[m.due_on for m in overdue],
        periods_overdue=rules.periods_overdue(planned, received, today),
        dsa_expired=dsa_expired,
        uploads_waiting=uploads_waiting,
        awaiting_approval=len(received - approved),
    )
    follow_up_end = signed_off.follow_up_end if signed_off else None
    tasks = rules.task_list(
        onboarded=onboarded,
        onboarding_started=onboarding.pk is not None,
        theory_saved=theory is not None,
        plan_status="signed_off" if signed_off else (current_plan.status if current_plan else ""),
        data_through=data_through,
        next_period=next_period,
        follow_up_end=follow_up_end,
        reports_done=reports_done,
        today=today,
    )
    return {
        "stage": rules.stage(
            onboarded=onboarded,
            theory_saved=theory is not None,
            plan_signed_off=signed_off is not None,
            follow_up_end=follow_up_end,
            today=today,
        ),
        "status": status.status,
        "status_reasons": list(status.reasons),
        "data_through": data_through,
        "next_period": next_period[0] if next_period else None,
        "next_due_on": next_period[1] if next_period else None,
        "last_upload_at": last_upload.created_at if last_upload else None,
        "last_upload_status": last_upload.status if last_upload else "",
        "awaiting_approval": len(received - approved),
        "uploads_waiting": uploads_waiting,
        "overdue_milestones": [{"name": m.get_kind_display(), "due_on": m.due_on.isoformat()} for m in overdue],
        "latest_report_at": latest_report.created_at if latest_report else None,
        "latest_report_status": latest_report.status if latest_report else "",
        "latest_report_code": latest_report.code if latest_report else None,
        "tasks": [{"key": t.key, "name": t.name, "status": t.status, "hint": t.hint} for t in tasks.tasks],
        "completeness": [
            [start.isoformat(), state]
            for start, state in rules.completeness(
                planned=planned, received=received, approved=approved, queried=queried, today=today
            )
        ],
        "measures": measure_figures(frame, signed_off, measures),
        "shared": shared_figures(frame, measures, threshold=settings.SUPPRESSION_THRESHOLD),
    }
