"""Writes of cohorts and applications."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cohorts.models import Application, Cohort
from evaluations import services as evaluation_services
from pine.audit import audit_record, changed_fields, snapshot
from pine.models import Partner, User
from pine.slugs import unique_slug


@transaction.atomic
def cohort_create(
    *,
    actor: User,
    name: str,
    opens_at: datetime,
    deadline_at: datetime,
    theme: str = "",
    description: str = "",
    capacity: int = 9,
    publish: bool = False,
) -> Cohort:
    cohort = Cohort(
        name=name.strip(),
        slug=unique_slug(Cohort, name, fallback="cohort"),
        theme=theme,
        description=description,
        capacity=capacity,
        opens_at=opens_at,
        deadline_at=deadline_at,
        status=Cohort.Status.OPEN if publish else Cohort.Status.DRAFT,
    )
    if deadline_at <= opens_at:
        raise ValidationError({"deadline_at": "The deadline must be after the call opens."})
    cohort.full_clean()
    cohort.save()
    audit_record(actor=actor, partner=None, action="cohort.create", obj=cohort, changes=snapshot(cohort))
    return cohort


@transaction.atomic
def application_create(
    *,
    partner: Partner,
    actor: User,
    cohort: Cohort,
    practice_title: str,
    practice_summary: str,
    outcomes_summary: str,
) -> Application:
    if not cohort.is_accepting_applications():
        raise ValidationError("This cohort is not open for applications.")
    if Application.objects.filter(partner=partner, cohort=cohort).exists():
        raise ValidationError(f"{partner.name} has already applied to {cohort.name}.")
    application = Application(
        partner=partner,
        cohort=cohort,
        practice_title=practice_title.strip(),
        practice_summary=practice_summary,
        outcomes_summary=outcomes_summary,
        created_by=actor,
    )
    application.full_clean()
    application.save()
    audit_record(actor=actor, partner=partner, action="application.create", obj=application, changes=snapshot(application))
    return application


@transaction.atomic
def application_submit(*, partner: Partner, actor: User, application: Application) -> Application:
    application = Application.objects.select_for_update().select_related("cohort").get(pk=application.pk, partner=partner)
    if application.status != Application.Status.DRAFT:
        raise ValidationError("This application has already been submitted.")
    if not application.cohort.is_accepting_applications():
        raise ValidationError(f"The deadline for {application.cohort.name} has passed.")
    if not partner.is_statutory_lead:
        raise ValidationError("The lead agency must be a statutory agency.")
    application.status = Application.Status.SUBMITTED
    application.submitted_at = timezone.now()
    application.save(update_fields=["status", "submitted_at"])
    audit_record(
        actor=actor,
        partner=partner,
        action="application.submit",
        obj=application,
        changes={"status": [Application.Status.DRAFT, application.status]},
    )
    return application


DECISIONS = {"accept": Application.Status.ACCEPTED, "decline": Application.Status.DECLINED}


@transaction.atomic
def application_decide(*, actor: User, application: Application, decision: str) -> Application:
    """The practice team's decision. Accepting creates the partner's evaluation."""
    if decision not in DECISIONS:
        raise ValidationError({"decision": f"Choose one of: {', '.join(DECISIONS)}."})
    application = Application.objects.select_for_update().select_related("cohort", "partner").get(pk=application.pk)
    if application.status != Application.Status.SUBMITTED:
        raise ValidationError(
            f"Only a submitted application can be decided (this one is {application.get_status_display().lower()})."
        )
    before = snapshot(application, ["status"])
    application.status = DECISIONS[decision]
    application.decided_at = timezone.now()
    application.save(update_fields=["status", "decided_at"])
    audit_record(
        actor=actor,
        partner=application.partner,
        action=f"application.{decision}",
        obj=application,
        changes=changed_fields(before, snapshot(application, ["status"])),
    )
    if application.status == Application.Status.ACCEPTED:
        evaluation_services.evaluation_create(partner=application.partner, actor=actor, application=application)
    return application


COHORT_EDITABLE = {"name", "theme", "description", "capacity", "opens_at", "deadline_at", "status"}


@transaction.atomic
def cohort_update(*, actor: User, cohort: Cohort, **fields) -> Cohort:
    unknown = set(fields) - COHORT_EDITABLE
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    before = snapshot(cohort, sorted(fields))
    for name, value in fields.items():
        setattr(cohort, name, value)
    cohort.full_clean()
    cohort.save(update_fields=sorted(fields))
    audit_record(
        actor=actor,
        partner=None,
        action="cohort.update",
        obj=cohort,
        changes=changed_fields(before, snapshot(cohort, sorted(fields))),
    )
    return cohort
