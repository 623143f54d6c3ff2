"""Reads of evaluations: onboarding, milestones, meetings, plans and theories of change."""

from django.db.models import QuerySet
from django.utils import timezone

from evaluations.models import (
    PLAN_DIRECTIONS,
    PLAN_ROLES,
    Evaluation,
    EvaluationPlan,
    Meeting,
    Milestone,
    Onboarding,
    PlanReview,
    TheoryOfChange,
)
from measures.selectors import measure_list
from pine.models import Partner


def evaluation_list(*, partner: Partner) -> QuerySet[Evaluation]:
    return Evaluation.objects.select_related("cohort").filter(partner=partner)


def evaluation_get(*, partner: Partner, code) -> Evaluation | None:
    return evaluation_list(partner=partner).filter(code=code).first()


def evaluation_list_for_practice() -> QuerySet[Evaluation]:
    return Evaluation.objects.select_related("cohort", "partner")


def onboarding_get(*, partner: Partner, evaluation: Evaluation) -> Onboarding:
    """The evaluation's onboarding record (a blank, unsaved one if nothing is recorded yet)."""
    found = Onboarding.objects.filter(partner=partner, evaluation=evaluation).defer("dsa_document").first()
    return found or Onboarding(partner=partner, evaluation=evaluation)


def onboarding_dsa_document(*, partner: Partner, evaluation: Evaluation) -> tuple[str, bytes] | None:
    found = Onboarding.objects.filter(partner=partner, evaluation=evaluation, dsa_document__isnull=False).first()
    return (found.dsa_filename, bytes(found.dsa_document)) if found else None


def evaluation_upload_blocker(*, partner: Partner, evaluation: Evaluation) -> str | None:
    """Why outcome data cannot be uploaded yet, or None if it can."""
    onboarding = onboarding_get(partner=partner, evaluation=evaluation)
    if onboarding.dsa_ready(timezone.localdate()):
        return None
    if onboarding.dsa_expires_on and onboarding.dsa_expires_on <= timezone.localdate():
        return "Your data sharing agreement expired. Record the renewed agreement in onboarding before you upload data."
    if onboarding.dsa_in_force(timezone.localdate()):
        return (
            "Your data sharing agreement is waiting for the practice team to check and verify it. "
            "You can upload data once it is verified."
        )
    return "Record your signed data sharing agreement in onboarding before you upload data: no data can be sent without one."


def milestone_list(*, partner: Partner, evaluation: Evaluation) -> QuerySet[Milestone]:
    return Milestone.objects.filter(partner=partner, evaluation=evaluation)


def milestone_list_all(*, partner: Partner) -> QuerySet[Milestone]:
    return Milestone.objects.select_related("evaluation").filter(partner=partner)


def milestone_get(*, partner: Partner, code) -> Milestone | None:
    return milestone_list_all(partner=partner).filter(code=code).first()


def meeting_list(*, partner: Partner, evaluation: Evaluation) -> QuerySet[Meeting]:
    return Meeting.objects.select_related("logged_by").filter(partner=partner, evaluation=evaluation)


def evaluation_get_for_practice(*, code) -> Evaluation | None:
    return evaluation_list_for_practice().filter(code=code).first()


def plans_awaiting_sign_off() -> list[EvaluationPlan]:
    """Every plan its partner has submitted for sign-off (practice scope), oldest first."""
    submitted = EvaluationPlan.objects.filter(status=EvaluationPlan.Status.SUBMITTED).select_related(
        "evaluation", "evaluation__partner", "created_by"
    )
    return list(submitted.order_by("created_at", "pk"))


def plan_reviews(*, partner: Partner, evaluation: Evaluation) -> QuerySet[PlanReview]:
    """The review history of every version of the evaluation's plan, oldest first."""
    return PlanReview.objects.select_related("actor", "plan").filter(partner=partner, plan__evaluation=evaluation)


def plan_initial_measures(*, partner: Partner, evaluation: Evaluation) -> list[dict]:
    """A first plan's measures: those the partner chose in its application (in that order), each
    expected to move the way the measure counts as better; the first is the primary one. The
    application is the evaluation's own (its foreign key), read as stored."""
    chosen = list(getattr(evaluation.application, "outcome_measures", None) or [])
    known = {m.code: m for m in measure_list(partner=partner).filter(code__in=chosen)}
    measures = []
    for code in chosen:
        if code in known and code not in {m["code"] for m in measures}:
            lower = known[code].polarity == "lower"  # Measure.Polarity.LOWER_IS_BETTER
            role = "primary" if not measures else "secondary"
            measures.append({"code": code, "direction": "decrease" if lower else "increase", "role": role})
    return measures


def agreements_to_verify() -> QuerySet[Onboarding]:
    """Data sharing agreements recorded (file and dates) and not yet verified (practice scope)."""
    return (
        Onboarding.objects.filter(dsa_verified_at__isnull=True, dsa_signed_on__isnull=False, dsa_expires_on__isnull=False)
        .exclude(dsa_filename="")
        .defer("dsa_document")
        .select_related("evaluation", "evaluation__partner")
        .order_by("updated_at", "pk")
    )


def plan_versions(*, partner: Partner, evaluation: Evaluation) -> QuerySet[EvaluationPlan]:
    """Every version, newest first."""
    return EvaluationPlan.objects.select_related("signed_off_by", "created_by").filter(partner=partner, evaluation=evaluation)


def plan_current(*, partner: Partner, evaluation: Evaluation) -> EvaluationPlan | None:
    return plan_versions(partner=partner, evaluation=evaluation).first()


def plan_for_report(*, partner: Partner, evaluation: Evaluation) -> EvaluationPlan | None:
    """The plan a report follows: the latest signed-off version, or else the draft (the report is
    then marked DRAFT)."""
    versions = plan_versions(partner=partner, evaluation=evaluation)
    return versions.filter(status=EvaluationPlan.Status.SIGNED_OFF).first() or versions.first()


def plan_get(*, partner: Partner, evaluation: Evaluation, version: int) -> EvaluationPlan | None:
    return plan_versions(partner=partner, evaluation=evaluation).filter(version=version).first()


def plan_comparison(older: EvaluationPlan, newer: EvaluationPlan) -> list[dict]:
    """Field by field: label, the older and newer values as shown, and whether it changed."""
    rows = []
    for name, label in EvaluationPlan.CONTENT_LABELS.items():
        old, new = plan_field_display(older, name), plan_field_display(newer, name)
        rows.append({"field": name, "label": label, "old": old, "new": new, "changed": old != new})
    return rows


def plan_summary(plan: EvaluationPlan | None) -> list[tuple[str, str]]:
    """(label, value as shown) for each field of a plan version."""
    if plan is None:
        return []
    return [(label, plan_field_display(plan, name)) for name, label in EvaluationPlan.CONTENT_LABELS.items()]


def plan_field_display(plan: EvaluationPlan, name: str) -> str:
    value = getattr(plan, name)
    if name == "design":
        return plan.get_design_display() if value else ""
    if name == "measures":
        names = dict(measure_list(partner=plan.partner).values_list("code", "name"))
        roles = plan.measure_roles()
        lines = [
            f"{names.get(m['code'], m['code'])} ({PLAN_ROLES[roles[m['code']]].lower()}): "
            f"{PLAN_DIRECTIONS.get(m.get('direction'), '?').lower()}"
            for m in value
        ]
        return "\n".join(lines)
    if name in ("intervention_rows", "comparison_rows"):
        return getattr(plan, f"get_{name}_display")()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return value.strftime("%-d %B %Y") if hasattr(value, "strftime") else str(value)


def theory_versions(*, partner: Partner, evaluation: Evaluation) -> QuerySet[TheoryOfChange]:
    return TheoryOfChange.objects.select_related("created_by").filter(partner=partner, evaluation=evaluation)


def theory_get(*, partner: Partner, evaluation: Evaluation, version: int | None = None) -> TheoryOfChange | None:
    """A version of the theory of change (the newest when version is None)."""
    versions = theory_versions(partner=partner, evaluation=evaluation)
    return versions.first() if version is None else versions.filter(version=version).first()
