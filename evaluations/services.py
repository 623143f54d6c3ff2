"""Writes of evaluations: creation, onboarding, milestones, meetings, plans, theories of change."""

import calendar
import logging
from datetime import date

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
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
from pine.audit import audit_record, audited_create, audited_update, snapshot
from pine.changes import announce_evaluation_changed
from pine.models import Partner, User
from pine.notifications import email_after_commit, notify, partner_recipients, practice_admins, practice_data_team
from pine.validators import validate_document

logger = logging.getLogger(__name__)


@transaction.atomic
def evaluation_create(*, partner: Partner, actor: User, application) -> Evaluation:
    """The evaluation of an accepted application (once: a second call returns the first)."""
    existing = Evaluation.objects.filter(partner=partner, application=application).first()
    if existing:
        return existing
    evaluation = Evaluation(partner=partner, cohort=application.cohort, application=application, title=application.practice_title)
    audited_create(evaluation, actor=actor, partner=partner, action="evaluation.create", changes={"title": evaluation.title})
    Onboarding.objects.create(partner=partner, evaluation=evaluation)
    start = timezone.localdate(evaluation.created_at)
    Milestone.objects.bulk_create(
        Milestone(partner=partner, evaluation=evaluation, kind=kind, due_on=_months_after(start, months))
        for kind, months in STANDARD_MILESTONES
    )
    announce_evaluation_changed(partner_id=partner.pk, evaluation_id=evaluation.pk, what="created")
    return evaluation


# The usual rhythm of a year's evaluation, in months from acceptance; partners move the dates.
STANDARD_MILESTONES = [
    (Milestone.Kind.TOC_WORKSHOP, 1),
    (Milestone.Kind.PLAN_SIGN_OFF, 2),
    (Milestone.Kind.BASELINE_DATA, 3),
    (Milestone.Kind.INTERIM_DATA, 7),
    (Milestone.Kind.ANALYSIS, 10),
    (Milestone.Kind.DRAFT_REPORT, 11),
    (Milestone.Kind.FINAL_REPORT, 12),
    (Milestone.Kind.PUBLICATION, 14),
]


def _months_after(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


ONBOARDING_FIELDS = {
    "dsa_signed_on", "dsa_expires_on", "dpia_completed_on", "ethics_required", "ethics_approved_on", "ethics_body",
    "data_lead_name", "data_lead_email", "sponsor_name", "sponsor_role",
}  # fmt: skip


@transaction.atomic
def onboarding_update(
    *, partner: Partner, actor: User, evaluation: Evaluation, dsa_file: tuple[str, bytes] | None = None, **fields
) -> Onboarding:
    """Record onboarding facts; ``dsa_file`` is (filename, content) of the signed agreement."""
    unknown = set(fields) - ONBOARDING_FIELDS
    if unknown:
        raise ValueError(f"not onboarding fields: {sorted(unknown)}")
    onboarding, _ = Onboarding.objects.select_for_update().get_or_create(partner=partner, evaluation=evaluation)
    if dsa_file is not None:
        validate_document(dsa_file[1], name=dsa_file[0])  # by its content, whatever its name says
        fields.update(dsa_filename=dsa_file[0][:255], dsa_document=dsa_file[1])
    if fields.get("ethics_required", onboarding.ethics_required) is False:
        fields.update(ethics_approved_on=None, ethics_body="")
    # A new agreement, or new dates, is checked again by the practice team.
    agreement_changed = dsa_file is not None or any(
        name in fields and fields[name] != getattr(onboarding, name) for name in ("dsa_signed_on", "dsa_expires_on")
    )
    if agreement_changed:
        fields.update(dsa_verified_at=None, dsa_verified_by=None)
    audited_update(
        onboarding,
        {**fields, "updated_at": timezone.now()},
        actor=actor,
        partner=partner,
        action="onboarding.update",
        audit_obj=evaluation,
        validate=_check_agreement_dates,
        quiet=("updated_at", "dsa_document"),  # the agreement's file name is recorded, not its bytes
        clean_options={"exclude": ["dsa_document"]},
    )
    if agreement_changed and onboarding.dsa_recorded:
        notify(
            recipients=practice_data_team(), template="agreement_to_verify",
            context={"onboarding": onboarding, "evaluation": evaluation, "partner": partner},
            link=reverse("evaluations:practice_agreement", args=[evaluation.code]), partner=partner,
        )  # fmt: skip
    announce_evaluation_changed(partner_id=partner.pk, evaluation_id=evaluation.pk, what="onboarding")
    return onboarding


@transaction.atomic
def onboarding_agreement_verify(*, actor: User, evaluation: Evaluation) -> Onboarding:
    """The practice team has checked the data sharing agreement the partner recorded (its file and
    dates). Audited; a later new file or new dates ask for it to be checked again."""
    if actor.practice_role not in (User.PracticeRole.PRACTICE_ADMIN, User.PracticeRole.ANALYST):
        raise PermissionDenied("Only the practice team's admins and analysts can verify a data sharing agreement.")
    onboarding = Onboarding.objects.select_for_update().filter(partner=evaluation.partner, evaluation=evaluation).first()
    if onboarding is None or not onboarding.dsa_recorded:
        raise ValidationError("The partner has not recorded a data sharing agreement (its file and dates) to verify.")
    if onboarding.dsa_verified_at is not None:
        return onboarding
    audited_update(
        onboarding,
        {"dsa_verified_at": timezone.now(), "dsa_verified_by": actor},
        actor=actor,
        partner=evaluation.partner,
        action="onboarding.verify_agreement",
        audit_obj=evaluation,
        quiet=("dsa_verified_at",),
        also_record={"dsa_filename": onboarding.dsa_filename},
        clean_options={"exclude": ["dsa_document"]},
    )
    partner = evaluation.partner
    notify(
        recipients=partner_recipients(partner=partner), template="agreement_verified",
        context={"onboarding": onboarding, "evaluation": evaluation, "partner": partner},
        link=reverse("evaluations:onboarding", args=[partner.slug, evaluation.code]), partner=partner,
    )  # fmt: skip
    return onboarding


def _check_agreement_dates(onboarding: Onboarding) -> None:
    if onboarding.dsa_signed_on and onboarding.dsa_signed_on > timezone.localdate():
        raise ValidationError({"dsa_signed_on": "The date the agreement was signed must be today or in the past."})
    if onboarding.dsa_signed_on and onboarding.dsa_expires_on and onboarding.dsa_expires_on <= onboarding.dsa_signed_on:
        raise ValidationError({"dsa_expires_on": "The agreement must expire after the date it was signed."})


@transaction.atomic
def onboarding_dsa_download(*, partner: Partner, actor: User, evaluation: Evaluation) -> tuple[str, bytes] | None:
    """The signed data sharing agreement's file (None if none is recorded), for the practice team.
    Every download is in the audit trail: the agreement names people and what may be shared."""
    onboarding = Onboarding.objects.filter(partner=partner, evaluation=evaluation, dsa_document__isnull=False).first()
    if onboarding is None:
        return None
    audit_record(
        actor=actor, partner=partner, action="onboarding.dsa_download", obj=evaluation,
        changes={"dsa_filename": onboarding.dsa_filename},
    )  # fmt: skip
    return onboarding.dsa_filename, bytes(onboarding.dsa_document)


@transaction.atomic
def milestone_update(
    *, partner: Partner, actor: User, milestone: Milestone, status: str, due_on: date, owner: str = "", notes: str = ""
) -> Milestone:
    milestone = Milestone.objects.select_for_update().get(pk=milestone.pk, partner=partner)
    if status != Milestone.Status.DONE:
        completed_on = None
    else:
        completed_on = milestone.completed_on or timezone.localdate()
    audited_update(
        milestone,
        {"status": status, "due_on": due_on, "owner": owner.strip(), "notes": notes, "completed_on": completed_on},
        actor=actor,
        partner=partner,
        action="milestone.update",
        quiet=("completed_on",),
    )
    return milestone


def _milestones_complete(*, evaluation: Evaluation, kind: str, actor: User | None, because: str) -> int:
    """Mark the evaluation's milestone of this kind done (once: a done one is left as it was)."""
    today = timezone.localdate()
    milestones = list(
        Milestone.objects.select_for_update().filter(partner=evaluation.partner, evaluation=evaluation, kind=kind)
        .exclude(status=Milestone.Status.DONE)
    )  # fmt: skip
    for milestone in milestones:
        audited_update(
            milestone, {"status": Milestone.Status.DONE, "completed_on": today}, actor=actor, partner=evaluation.partner,
            action="milestone.update", quiet=("completed_on",), also_record={"because": because},
        )  # fmt: skip
    return len(milestones)


@transaction.atomic
def milestone_data_stored(*, evaluation: Evaluation, actor: User | None) -> int:
    """Outcome data was stored for the evaluation: its first data completes "Baseline data"."""
    return _milestones_complete(
        evaluation=evaluation, kind=Milestone.Kind.BASELINE_DATA, actor=actor, because="outcome data stored"
    )


# Milestones after the plan's windows: (kind, the plan's date it follows, months after it).
PLAN_MILESTONES = [
    (Milestone.Kind.BASELINE_DATA, "baseline_end", 1),
    (Milestone.Kind.INTERIM_DATA, "follow_up_middle", 1),
    (Milestone.Kind.ANALYSIS, "follow_up_end", 1),
    (Milestone.Kind.DRAFT_REPORT, "follow_up_end", 2),
    (Milestone.Kind.FINAL_REPORT, "follow_up_end", 3),
    (Milestone.Kind.PUBLICATION, "follow_up_end", 5),
]


def _milestones_follow_plan(*, plan: EvaluationPlan, actor: User) -> None:
    """Move the due dates of the milestones not yet done to follow the signed-off plan's windows:
    baseline data a month after the baseline period ends, interim data a month after the middle of
    the follow-up, analysis and reports after it ends."""
    if not (plan.baseline_end and plan.follow_up_start and plan.follow_up_end):
        return
    anchors = {
        "baseline_end": plan.baseline_end,
        "follow_up_middle": plan.follow_up_start + (plan.follow_up_end - plan.follow_up_start) / 2,
        "follow_up_end": plan.follow_up_end,
    }
    due = {kind: _months_after(anchors[anchor], months) for kind, anchor, months in PLAN_MILESTONES}
    for milestone in (
        Milestone.objects.select_for_update()
        .filter(partner=plan.partner, evaluation=plan.evaluation, kind__in=list(due))
        .exclude(status=Milestone.Status.DONE)
    ):
        if milestone.due_on != due[milestone.kind]:
            audited_update(
                milestone, {"due_on": due[milestone.kind]}, actor=actor, partner=plan.partner, action="milestone.update",
                also_record={"because": f"plan version {plan.version} signed off"},
            )  # fmt: skip


@transaction.atomic
def meeting_log(
    *, partner: Partner, actor: User, evaluation: Evaluation, held_on: date, attendees: str, notes: str = "", actions: str = ""
) -> Meeting:
    if evaluation.partner_id != partner.pk:
        raise ValueError("evaluation belongs to another partner")
    meeting = Meeting(
        partner=partner,
        evaluation=evaluation,
        held_on=held_on,
        attendees=attendees.strip(),
        notes=notes,
        actions=actions,
        logged_by=actor,
    )
    return audited_create(meeting, actor=actor, partner=partner, action="meeting.log", changes=snapshot(meeting, ["held_on"]))


@transaction.atomic
def milestone_reminders_send(*, today: date | None = None) -> int:
    """Email each partner with overdue milestones (leads and contributors) and the practice admins,
    once a day at most per milestone. Returns how many emails were queued.
    Reads every partner's rows: its beat task runs it through ``jobs.across_partners``."""
    from pine import selectors as pine_selectors

    today = today or timezone.localdate()
    sent = 0
    overdue = list(
        Milestone.objects.select_for_update(of=("self",))
        .select_related("evaluation", "partner")
        .exclude(status=Milestone.Status.DONE)
        .filter(due_on__lt=today)
        .exclude(reminded_on=today)
        .order_by("partner_id", "due_on")
    )
    admins = [u.email for u in pine_selectors.practice_admin_list()]
    by_partner: dict[int, list[Milestone]] = {}
    for milestone in overdue:
        by_partner.setdefault(milestone.partner_id, []).append(milestone)
    for milestones in by_partner.values():
        partner = milestones[0].partner
        recipients = pine_selectors.partner_contact_emails(partner=partner) + admins
        email_after_commit(
            to=recipients,
            template="milestones_overdue",
            context={"partner": partner, "milestones": milestones, "site": settings.SITE_URL},
        )
        sent += 1
    Milestone.objects.filter(pk__in=[m.pk for m in overdue]).update(reminded_on=today)
    return sent


# --- evaluation plans ------------------------------------------------------------------------------


def _plan_latest(evaluation: Evaluation) -> EvaluationPlan | None:
    return EvaluationPlan.objects.select_for_update().filter(evaluation=evaluation).order_by("-version").first()


def _lock_plans(evaluation: Evaluation) -> None:
    # Plans of one evaluation change one at a time (two "new version"s must not both get N+1).
    Evaluation.objects.select_for_update().filter(pk=evaluation.pk).first()


@transaction.atomic
def plan_save_draft(*, partner: Partner, actor: User, evaluation: Evaluation, **content) -> EvaluationPlan:
    """Save the draft plan (version 1 the first time). A signed-off plan is locked: change it by
    starting a new version."""
    unknown = set(content) - set(EvaluationPlan.CONTENT_FIELDS)
    if unknown:
        raise ValueError(f"not plan fields: {sorted(unknown)}")
    _lock_plans(evaluation)
    plan = _plan_latest(evaluation)
    if plan is not None and plan.status == EvaluationPlan.Status.SIGNED_OFF:
        raise ValidationError(f"Version {plan.version} is signed off and locked. Start a new version to change it.")
    if plan is None:
        plan = EvaluationPlan(partner=partner, evaluation=evaluation, version=1, created_by=actor)
    if plan.status == EvaluationPlan.Status.SUBMITTED:
        content["status"] = EvaluationPlan.Status.DRAFT  # a change takes it back from the practice team's queue
    if "measures" in content:
        measures = [m for m in content["measures"] or [] if m.get("direction") in PLAN_DIRECTIONS]
        # A client that sends no roles at all (written before roles existed) gets its first measure
        # as the primary one, as such plans are read.
        no_roles = not any(m.get("role") for m in measures)
        content["measures"] = [
            {
                "code": m["code"],
                "direction": m["direction"],
                "role": "primary" if no_roles and i == 0 else m.get("role") if m.get("role") in PLAN_ROLES else "secondary",
            }
            for i, m in enumerate(measures)
        ]
    audited_update(plan, content, actor=actor, partner=partner, action="plan.save")
    return plan


@transaction.atomic
def plan_new_version(*, partner: Partner, actor: User, evaluation: Evaluation, reason: str) -> EvaluationPlan:
    if not reason.strip():
        raise ValidationError({"reason": "Say why the plan is changing."})
    _lock_plans(evaluation)
    latest = _plan_latest(evaluation)
    if latest is None or latest.status != EvaluationPlan.Status.SIGNED_OFF:
        raise ValidationError("Only a signed-off plan needs a new version: edit the draft instead.")
    plan = EvaluationPlan(
        partner=partner, evaluation=evaluation, version=latest.version + 1, change_reason=reason.strip(), created_by=actor,
        **{name: getattr(latest, name) for name in EvaluationPlan.CONTENT_FIELDS},
    )  # fmt: skip
    audited_create(
        plan, actor=actor, partner=partner, action="plan.new_version", changes={"version": plan.version, "reason": reason}
    )
    return plan


def _plan_for_review(plan: EvaluationPlan) -> EvaluationPlan:
    return EvaluationPlan.objects.select_for_update().select_related("evaluation", "partner").get(pk=plan.pk)


def _plan_review_record(*, plan: EvaluationPlan, actor: User, action: str, comments: str = "") -> PlanReview:
    review = PlanReview(partner=plan.partner, plan=plan, action=action, comments=comments.strip(), actor=actor)
    review.full_clean(exclude=["partner", "plan", "actor"])
    review.save()
    return review


def _plan_links(plan: EvaluationPlan) -> tuple[str, str]:
    """The plan's page for its partner, and the evaluation's page for the practice team."""
    return (
        reverse("evaluations:plan", args=[plan.partner.slug, plan.evaluation.code]),
        reverse("evaluations:practice_evaluation", args=[plan.evaluation.code]),
    )


@transaction.atomic
def plan_submit(*, partner: Partner, actor: User, evaluation: Evaluation) -> EvaluationPlan:
    """The partner submits its complete draft for the practice team's sign-off; the practice team's
    admins are told, and the partner's people that it is on its way."""
    _lock_plans(evaluation)
    plan = _plan_latest(evaluation)
    if plan is None or plan.status != EvaluationPlan.Status.DRAFT:
        raise ValidationError("There is no draft plan to submit.")
    missing = plan.missing_for_sign_off()
    if missing:
        raise ValidationError(f"The plan cannot be submitted yet: it needs {', '.join(missing)}.")
    audited_update(plan, {"status": EvaluationPlan.Status.SUBMITTED}, actor=actor, partner=partner, action="plan.submit")
    _plan_review_record(plan=plan, actor=actor, action=PlanReview.Action.SUBMITTED)
    partner_link, practice_link = _plan_links(plan)
    context = {"plan": plan, "evaluation": evaluation, "partner": partner, "actor": actor}
    notify(recipients=practice_admins(), template="plan_submitted", context=context, link=practice_link, partner=partner)
    notify(
        recipients=[u for u in partner_recipients(partner=partner) if u.pk != actor.pk],
        template="plan_submitted_partner", context=context, link=partner_link, partner=partner,
    )  # fmt: skip
    announce_evaluation_changed(partner_id=partner.pk, evaluation_id=evaluation.pk, what="plan")
    return plan


def _check_practice_admin(actor: User) -> None:
    if actor.practice_role != User.PracticeRole.PRACTICE_ADMIN:
        raise PermissionDenied("Only the practice team's admins can sign off a plan or ask for changes to it.")


@transaction.atomic
def plan_request_changes(*, actor: User, plan: EvaluationPlan, comments: str) -> EvaluationPlan:
    """The practice team sends a submitted plan back to its partner with what to change: the plan
    is a draft again, the comments are kept in its history and the partner is told."""
    _check_practice_admin(actor)
    if not comments.strip():
        raise ValidationError({"comments": "Say what needs to change."})
    plan = _plan_for_review(plan)
    if plan.status == EvaluationPlan.Status.SIGNED_OFF:
        raise ValidationError(f"Version {plan.version} is already signed off.")
    audited_update(
        plan, {"status": EvaluationPlan.Status.DRAFT}, actor=actor, partner=plan.partner, action="plan.request_changes",
        also_record={"comments": comments.strip()},
    )  # fmt: skip
    review = _plan_review_record(plan=plan, actor=actor, action=PlanReview.Action.CHANGES_REQUESTED, comments=comments)
    partner_link, practice_link = _plan_links(plan)
    context = {"plan": plan, "evaluation": plan.evaluation, "partner": plan.partner, "review": review}
    notify(
        recipients=partner_recipients(partner=plan.partner), template="plan_changes_requested", context=context,
        link=partner_link, partner=plan.partner,
    )  # fmt: skip
    notify(
        recipients=[u for u in practice_admins() if u.pk != actor.pk], template="plan_changes_requested_practice",
        context={**context, "actor": actor}, link=practice_link, partner=plan.partner,
    )  # fmt: skip
    announce_evaluation_changed(partner_id=plan.partner_id, evaluation_id=plan.evaluation_id, what="plan")
    return plan


@transaction.atomic
def plan_sign_off(*, actor: User, plan: EvaluationPlan, comments: str = "") -> EvaluationPlan:
    """The practice team signs off a complete plan (submitted, or a draft it has agreed with the
    partner), which locks it; the plan milestone is done, the later ones follow its windows, and
    both sides are told."""
    plan = _plan_for_review(plan)
    if plan.status == EvaluationPlan.Status.SIGNED_OFF:
        raise ValidationError(f"Version {plan.version} is already signed off.")
    missing = plan.missing_for_sign_off()
    if missing:
        raise ValidationError(f"The plan cannot be signed off yet: it needs {', '.join(missing)}.")
    plan.status, plan.signed_off_by, plan.signed_off_at = EvaluationPlan.Status.SIGNED_OFF, actor, timezone.now()
    plan.save(update_fields=["status", "signed_off_by", "signed_off_at"])
    audit_record(actor=actor, partner=plan.partner, action="plan.sign_off", obj=plan, changes={"version": plan.version})
    review = _plan_review_record(plan=plan, actor=actor, action=PlanReview.Action.SIGNED_OFF, comments=comments)
    _milestones_complete(
        evaluation=plan.evaluation,
        kind=Milestone.Kind.PLAN_SIGN_OFF,
        actor=actor,
        because=f"plan version {plan.version} signed off",
    )
    _milestones_follow_plan(plan=plan, actor=actor)
    partner_link, practice_link = _plan_links(plan)
    context = {"plan": plan, "evaluation": plan.evaluation, "partner": plan.partner, "review": review, "actor": actor}
    notify(
        recipients=partner_recipients(partner=plan.partner), template="plan_signed_off", context=context,
        link=partner_link, partner=plan.partner,
    )  # fmt: skip
    notify(
        recipients=[u for u in practice_admins() if u.pk != actor.pk], template="plan_signed_off_practice",
        context=context, link=practice_link, partner=plan.partner,
    )  # fmt: skip
    announce_evaluation_changed(partner_id=plan.partner_id, evaluation_id=plan.evaluation_id, what="plan")
    return plan


# --- theories of change ----------------------------------------------------------------------------


@transaction.atomic
def theory_save(*, partner: Partner, actor: User, evaluation: Evaluation, content: dict) -> TheoryOfChange:
    """Save a new version of the theory of change (content already checked by theory.parse)."""
    _lock_plans(evaluation)
    latest = TheoryOfChange.objects.filter(evaluation=evaluation).order_by("-version").first()
    if latest is not None and latest.content == content:
        return latest  # nothing changed: no new version
    theory = TheoryOfChange(
        partner=partner, evaluation=evaluation, version=(latest.version + 1) if latest else 1, content=content, created_by=actor
    )
    counts = {kind: sum(1 for e in content["elements"] if e["kind"] == kind) for kind in {e["kind"] for e in content["elements"]}}
    audited_create(theory, actor=actor, partner=partner, action="theory.save", changes={"version": theory.version, **counts})
    announce_evaluation_changed(partner_id=partner.pk, evaluation_id=evaluation.pk, what="theory")
    return theory


# --- the area's population (the denominator of rates per 10,000) -----------------------------------


@transaction.atomic
def evaluation_population_set(
    *, partner: Partner, actor: User, evaluation: Evaluation, population: dict[int | str, int]
) -> Evaluation:
    """Set the area's children aged 0 to 17 for one or more years of the ONS mid-year estimates
    (``{2024: 61250}``); 0 removes a year. Rates per 10,000 computed from statutory returns use
    them; a year without a figure makes those rates not estimable."""
    if evaluation.partner_id != partner.pk:
        raise ValueError("evaluation belongs to another partner")
    locked = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
    figures = dict(locked.population or {})
    for year, children in population.items():
        try:
            year, children = int(year), int(children)
        except (TypeError, ValueError):
            raise ValidationError({"population": "Give each year (YYYY) with a whole number of children."}) from None
        if not 1990 <= year <= 2100 or not 0 <= children <= 5_000_000:
            raise ValidationError({"population": "Give years from 1990 and a number of children from 0 to 5,000,000."})
        if children:
            figures[str(year)] = children
        else:
            figures.pop(str(year), None)
    audited_update(
        locked,
        {"population": dict(sorted(figures.items()))},
        actor=actor,
        partner=partner,
        action="evaluation.population",
    )
    evaluation.population = locked.population
    announce_evaluation_changed(partner_id=partner.pk, evaluation_id=evaluation.pk, what="population")
    return evaluation
