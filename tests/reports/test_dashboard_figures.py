"""Dashboard figures: computed by the worker, stored behind row-level security, refreshed once per
burst of changes to an evaluation."""

from datetime import date
from unittest import mock

import pytest

from outcomes import services as outcome_services
from outcomes.models import OutcomeValue
from pine.changes import announce_evaluation_changed
from reports.dashboards import rules, services
from reports.dashboards.models import EvaluationFigures
from tests import factories
from tests.reports.dashboard_helpers import evaluation_with_data

pytestmark = pytest.mark.django_db


def test_a_refresh_stores_the_evaluations_stage_status_periods_and_charts(partner):
    evaluation = evaluation_with_data(partner=partner, months=24, approved=6)
    figures = services.figures_refresh_now(evaluation=evaluation)
    assert figures.computed_at is not None and not figures.refresh_queued
    assert figures.stage == rules.DATA
    assert figures.data_through == date(2025, 12, 31)
    assert figures.awaiting_approval == 18
    assert figures.overdue_milestones[0]["name"] == "Draft report"
    assert figures.status == rules.AT_RISK  # months of 2026 are overdue
    assert "18 periods waiting for approval" in figures.status_reasons
    states = dict(figures.completeness)
    assert states["2024-01-01"] == rules.APPROVED and states["2024-07-01"] == rules.RECEIVED
    assert [m["code"] for m in figures.measures] == ["re_referrals_12m", "cp_plans_rate"]
    chart = figures.measures[0]["chart"]
    assert chart["chart_type"] == "p" and len(chart["points"]) == 24
    assert figures.measures[0]["variation"] == "special cause improving"  # 8 fewer re-referrals a month
    assert figures.measures[1]["chart"]["chart_type"] == "u"
    assert figures.shared["re_referrals_12m"]["points"][0][2] == pytest.approx(30.0)
    assert [t["key"] for t in figures.tasks] == ["onboarding", "theory", "plan", "data", "reports"]


def test_cells_shown_across_partners_pass_through_safe_cells(partner):
    evaluation = evaluation_with_data(partner=partner, months=14)
    value = OutcomeValue.objects.filter(evaluation=evaluation).order_by("period_start").first()
    value.numerator, value.denominator, value.value = 3, 100, 3
    value.save()
    figures = services.figures_refresh_now(evaluation=evaluation)
    first = next(p for p in figures.shared[value.measure.code]["points"] if p[0] == value.period_start.isoformat())
    assert first[2] is None and first[3] is None  # 3 children: hidden
    own = next(m for m in figures.measures if m["code"] == value.measure.code)
    assert own["table"][0]["intervention"] == 3.0  # the partner's own page shows its own data


def test_a_burst_of_changes_queues_one_refresh(partner, django_capture_on_commit_callbacks):
    evaluation = factories.EvaluationFactory(application__partner=partner)
    with mock.patch("reports.tasks.refresh_figures.apply_async") as send:
        with django_capture_on_commit_callbacks(execute=True):
            for what in ("upload", "approval", "plan"):
                announce_evaluation_changed(partner_id=partner.pk, evaluation_id=evaluation.pk, what=what)
    assert send.call_count == 1
    assert send.call_args.kwargs["countdown"] == services.REFRESH_DELAY_SECONDS
    assert EvaluationFigures.objects.get(evaluation=evaluation).refresh_queued


def test_a_change_after_the_worker_took_the_refresh_queues_another(partner, django_capture_on_commit_callbacks):
    evaluation = factories.EvaluationFactory(application__partner=partner)
    with mock.patch("reports.tasks.refresh_figures.apply_async") as send:
        with django_capture_on_commit_callbacks(execute=True):
            announce_evaluation_changed(partner_id=partner.pk, evaluation_id=evaluation.pk, what="upload")
        figures_id = send.call_args.args[0][0]
        assert services.figures_refresh(figures_id=figures_id) == "done"
        assert services.figures_refresh(figures_id=figures_id) == "done"  # a duplicate does no harm
        with django_capture_on_commit_callbacks(execute=True):
            announce_evaluation_changed(partner_id=partner.pk, evaluation_id=evaluation.pk, what="upload")
    assert send.call_count == 2


def test_approving_a_period_refreshes_the_figures(partner, practice_admin, django_capture_on_commit_callbacks):
    evaluation = evaluation_with_data(partner=partner, months=14, approved=0)
    with django_capture_on_commit_callbacks(execute=True):  # the task runs eagerly in tests
        outcome_services.period_approve(actor=practice_admin, evaluation=evaluation, period_start=date(2024, 1, 1))
    figures = EvaluationFigures.objects.get(evaluation=evaluation)
    assert figures.computed_at is not None and dict(figures.completeness)["2024-01-01"] == rules.APPROVED


def test_a_period_sent_back_with_a_query_shows_as_queried_until_it_is_answered(
    partner, practice_admin, lead, django_capture_on_commit_callbacks
):
    from outcomes import approval_services

    evaluation = evaluation_with_data(partner=partner, months=14, approved=0)
    with django_capture_on_commit_callbacks(execute=True):
        query = approval_services.period_query_send(
            actor=practice_admin, evaluation=evaluation, period_start=date(2024, 1, 1), question="Is January right?"
        )
    assert dict(EvaluationFigures.objects.get(evaluation=evaluation).completeness)["2024-01-01"] == rules.QUERIED
    with django_capture_on_commit_callbacks(execute=True):
        approval_services.period_query_answer(partner=partner, actor=lead, query=query, answer="Yes, it is.")
    assert dict(EvaluationFigures.objects.get(evaluation=evaluation).completeness)["2024-01-01"] == rules.RECEIVED


def test_a_missing_figures_row_is_reported_not_raised():
    assert services.figures_refresh(figures_id=999999) == "missing"
