"""Decisions on applications: recorded as pending, previewed, then released in bulk.

An applicant sees nothing of a pending decision: the application's status (and so the status the
applicant sees) changes only when the practice admin releases the cohort's decisions. Releasing
sends each partner its email, and accepting creates the partner's evaluation (the evaluations app's
service). Only practice admins record, clear and release decisions, and never one who declared a
conflict of interest with the application (``require_no_conflict``).
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone

from cohorts.models import Application, Cohort, Decision
from cohorts.selectors.decisions import DECIDABLE, RELEASED_STATUS, cohort_places, decision_pending_list, review_counts
from cohorts.services.applications import application_locked
from cohorts.services.reviews import require_no_conflict
from evaluations import services as evaluation_services
from pine import notifications
from pine.access import ADMINS_AND_ANALYSTS, require_practice_admin
from pine.audit import audit_record, audited_update
from pine.models import User

DECISION_FIELDS = ["pending_decision", "decision_note", "decision_recorded_by", "decision_recorded_at"]
VERB = {Decision.ACCEPT: "accepted", Decision.WAITING_LIST: "put on the waiting list", Decision.DECLINE: "declined"}


def _refusal(application: Application, decision: str) -> str | None:
    """Why this decision cannot be taken on the application as it is now; None when it can."""
    status = application.get_status_display().lower()
    if application.status not in DECIDABLE:
        return (
            f"{application.partner.name}: an application that is {status} cannot be decided "
            "(screen it first; decisions are for screened applications and the waiting list)."
        )
    if not application.can_move_to(RELEASED_STATUS[decision]):
        return f"{application.partner.name}: an application that is {status} cannot be {VERB[decision]}."
    return None


@transaction.atomic
def decision_record(
    *,
    actor: User,
    application: Application,
    decision: str,
    note: str = "",
    confirm_over_capacity: bool = False,
    confirm_without_reviews: bool = False,
) -> Application:
    """Record (or change) the pending decision on an application, with the note sent to the
    applicant. Accepting beyond the cohort's capacity (accepted plus pending accepts) needs
    ``confirm_over_capacity``; deciding an eligible application no reviewer has submitted a review
    of needs ``confirm_without_reviews``."""
    require_practice_admin(actor, "record a decision")
    require_no_conflict(actor=actor, application=application)
    if decision not in Decision.values:
        raise ValidationError({"decision": f"Choose one of: {', '.join(Decision.values)}."})
    # The cohort's row serialises decisions on it, so two admins cannot both take the last place.
    Cohort.objects.select_for_update().filter(pk=application.cohort_id).first()
    application = application_locked(application)
    refusal = _refusal(application, decision)
    if refusal:
        raise ValidationError(refusal)
    if application.status == Application.Status.ELIGIBLE and not confirm_without_reviews:
        reviews = review_counts(application=application)
        if not reviews.submitted:
            raise ValidationError(
                {
                    "confirm_without_reviews": (
                        f"No reviewer has submitted a review of “{application.practice_title}”"
                        f"{f' ({reviews.outstanding} outstanding)' if reviews.outstanding else ''}. "
                        "Confirm you want to decide it without reviews."
                    )
                },
                code="no_reviews",
            )
    if decision == Decision.ACCEPT and not confirm_over_capacity:
        places = cohort_places(cohort=application.cohort, excluding=application)
        if places.taken + 1 > places.capacity:
            raise ValidationError(
                {
                    "confirm_over_capacity": (
                        f"{application.cohort.name} has {places.capacity} place{pluralize(places.capacity)}: "
                        f"{places.accepted} accepted and {places.pending} pending. "
                        f"Accepting this application makes {places.taken + 1}. "
                        "Confirm you want to accept more than the capacity."
                    )
                },
                code="over_capacity",
            )
    audited_update(
        application,
        _decision(decision, (note or "").strip(), actor),
        actor=actor,
        partner=application.partner,
        action="application.decision_record",
        also_record={
            **({"confirm_over_capacity": True} if decision == Decision.ACCEPT and confirm_over_capacity else {}),
            **({"confirm_without_reviews": True} if confirm_without_reviews else {}),
        }
        or None,
    )
    return application


@transaction.atomic
def decision_clear(*, actor: User, application: Application) -> Application:
    """Remove an application's pending decision (nothing was sent: nothing is undone)."""
    require_practice_admin(actor, "clear a decision")
    require_no_conflict(actor=actor, application=application)
    application = application_locked(application)
    if not application.pending_decision:
        raise ValidationError("This application has no pending decision.")
    audited_update(
        application, _decision("", "", actor), actor=actor, partner=application.partner, action="application.decision_clear"
    )
    return application


def _decision(decision: str, note: str, actor: User) -> dict:
    """The fields of a pending decision, as recorded by ``actor`` now."""
    return {
        "pending_decision": decision,
        "decision_note": note,
        "decision_recorded_by": actor,
        "decision_recorded_at": timezone.now(),
    }


# --- the emails ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DecisionEmail:
    """The email a release sends about one application."""

    application: Application
    decision: str
    template: str
    subject: str
    body: str
    recipients: list[User]
    link: str
    context: dict

    @property
    def decision_verb(self) -> str:
        return VERB[self.decision]

    @property
    def recipient_emails(self) -> list[str]:
        return [user.email for user in self.recipients]


def _email(application: Application) -> DecisionEmail:
    """The email about the application's pending decision, as ``pine.notifications.notify`` renders
    it (the templates do not address the recipient by name: every recipient gets this text)."""
    decision = application.pending_decision
    template = f"decision_released_{decision}"
    link = reverse("cohorts:application_detail", args=[application.partner.slug, application.code])
    context = {
        "application": application,
        "partner": application.partner,
        "cohort": application.cohort,
        "note": application.decision_note,
        # The places taken once the release is done (accepted, and accepts about to be released):
        # the waiting-list email says the places are taken only when they are.
        "places": cohort_places(cohort=application.cohort),
    }
    recipients = notifications.partner_recipients(partner=application.partner)
    url = notifications.absolute_url(link)
    subject, body = notifications.render_email(template, {**context, "recipient": None, "link": link, "url": url})
    return DecisionEmail(application, decision, template, subject, body, recipients, link, context)


def decision_preview(*, actor: User, cohort: Cohort) -> list[DecisionEmail]:
    """Every email releasing the cohort's decisions would send now, one per pending decision."""
    if not (actor.is_practice_team and actor.practice_role in ADMINS_AND_ANALYSTS):
        raise PermissionDenied("Only a practice admin or analyst can preview the decisions.")
    return [_email(application) for application in decision_pending_list(cohort=cohort)]


@transaction.atomic
def decisions_release(*, actor: User, cohort: Cohort) -> list[Application]:
    """Release every pending decision of the cohort at once: statuses change, accepted partners'
    evaluations are created and every partner is told. All or nothing; a second release finds
    nothing pending and does nothing."""
    require_practice_admin(actor, "release decisions")
    cohort = Cohort.objects.select_for_update().get(pk=cohort.pk)
    pending = list(decision_pending_list(cohort=cohort).select_for_update(of=("self",)))
    problems = [p for p in (_refusal(a, a.pending_decision) for a in pending) if p]
    if problems:
        raise ValidationError([*problems, "Change or clear these decisions, then release again."])
    now = timezone.now()
    for application in pending:
        email = _email(application)
        decision = application.pending_decision
        before = application.status
        application.status = RELEASED_STATUS[decision]
        application.pending_decision = ""
        application.decided_at = application.decision_released_at = now
        application.save(update_fields=["status", "pending_decision", "decided_at", "decision_released_at"])
        audit_record(
            actor=actor,
            partner=application.partner,
            action=f"application.{decision}",
            obj=application,
            changes={"status": [before, application.status], "decision_note": application.decision_note},
        )
        if decision == Decision.ACCEPT:
            evaluation_services.evaluation_create(partner=application.partner, actor=actor, application=application)
        notifications.notify(
            recipients=email.recipients,
            template=email.template,
            context=email.context,
            link=email.link,
            partner=application.partner,
        )
    if pending:
        audit_record(
            actor=actor,
            partner=None,
            action="cohort.decisions_release",
            obj=cohort,
            changes={
                "released": len(pending),
                **{d: sum(a.status == RELEASED_STATUS[d] for a in pending) for d in Decision.values},
            },
        )
    return pending
