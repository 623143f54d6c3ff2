"""An evaluation with a signed-off plan and monthly outcome data, for the dashboard tests."""

from datetime import date, timedelta

from django.utils import timezone

from evaluations.models import EvaluationPlan, Milestone, TheoryOfChange
from measures.models import Measure
from outcomes.models import OutcomeValue, PeriodApproval
from tests import factories

MEASURES = ("re_referrals_12m", "cp_plans_rate")


def month(first: date, n: int) -> date:
    y, m = divmod(first.month - 1 + n, 12)
    return date(first.year + y, m + 1, 1)


def evaluation_with_data(
    *, partner=None, cohort=None, months=24, approved=6, start=date(2024, 1, 1), measures=MEASURES, title=None
):
    """A signed-off plan (baseline the first 12 months, follow-up to the 36th), ``months`` months of
    intervention data for each measure, the first ``approved`` months approved."""
    kwargs = {"application__partner": partner} if partner else {}
    if cohort:
        kwargs["application__cohort"] = cohort
    if title:
        kwargs["application__practice_title"] = title
    evaluation = factories.EvaluationFactory(**kwargs)
    onboarding = evaluation.onboarding
    onboarding.dpia_completed_on = date(2023, 12, 1)
    onboarding.ethics_required = False
    onboarding.data_lead_name, onboarding.data_lead_email, onboarding.sponsor_name = "Dana", "dana@example.org", "Sam"
    onboarding.save()
    author = factories.UserFactory()
    TheoryOfChange.objects.create(partner=evaluation.partner, evaluation=evaluation, version=1, content={}, created_by=author)
    EvaluationPlan.objects.create(
        partner=evaluation.partner,
        evaluation=evaluation,
        version=1,
        status=EvaluationPlan.Status.SIGNED_OFF,
        research_questions="Does it work?",
        design=EvaluationPlan.Design.SPC,
        intervention_start=month(start, 12),
        baseline_start=start,
        baseline_end=month(start, 12) - timedelta(days=1),
        follow_up_start=month(start, 12),
        follow_up_end=month(start, 36) - timedelta(days=1),
        measures=[{"code": code, "direction": "decrease"} for code in measures],
        created_by=author,
        signed_off_by=author,
        signed_off_at=timezone.now(),
    )
    submission = factories.SubmissionFactory(evaluation=evaluation, uploaded_by=author)
    rows = []
    for code in measures:
        measure = Measure.objects.get(code=code, partner=None)
        for n in range(months):
            first = month(start, n)
            numerator = 30 + (n % 5) - (8 if n >= 12 else 0)
            denominator = 100 if measure.unit == "percentage" else 20000
            value = 100 * numerator / denominator if measure.unit == "percentage" else 10000 * numerator / denominator
            rows.append(
                OutcomeValue(
                    partner=evaluation.partner,
                    evaluation=evaluation,
                    submission=submission,
                    measure=measure,
                    period_start=first,
                    period_end=month(start, n + 1) - timedelta(days=1),
                    group="intervention",
                    value=round(value, 4),
                    numerator=numerator,
                    denominator=denominator,
                )
            )
    OutcomeValue.objects.bulk_create(rows)
    PeriodApproval.objects.bulk_create(
        [
            PeriodApproval(partner=evaluation.partner, evaluation=evaluation, period_start=month(start, n), approved_by=author)
            for n in range(approved)
        ]
    )
    Milestone.objects.create(
        partner=evaluation.partner,
        evaluation=evaluation,
        kind=Milestone.Kind.DRAFT_REPORT,
        due_on=date.today() - timedelta(days=10),
    )
    return evaluation
