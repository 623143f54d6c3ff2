"""Reads for the practice team's work queue: applications waiting for screening (first submissions,
and answers to a request for more information) and reviews not yet submitted. Each list is one
query, however many partners there are."""

from django.db.models import Exists, OuterRef, QuerySet

from cohorts.models import Application, Review, ReviewAssignment
from cohorts.selectors.reviews import DECLARED_CONFLICT, REVIEWABLE, conflicted_application_ids
from pine.models import User


def _submitted(user: User) -> QuerySet[Application]:
    # An application the user declared a conflict with is someone else's to screen.
    return (
        Application.objects.filter(status=Application.Status.SUBMITTED)
        .exclude(pk__in=conflicted_application_ids(user=user))
        .select_related("partner", "cohort")
        .order_by("submitted_at", "pk")
    )


def applications_to_screen(*, user: User) -> QuerySet[Application]:
    """Submitted for the first time and not yet screened."""
    return _submitted(user).filter(information_requested_at__isnull=True)


def information_responses(*, user: User) -> QuerySet[Application]:
    """Submitted again after the practice team asked for more information."""
    return _submitted(user).filter(information_requested_at__isnull=False)


def reviews_outstanding(*, reviewer: User | None = None) -> QuerySet[ReviewAssignment]:
    """Active assignments of applications still under review whose review is not submitted, by
    the cohort's review deadline; only ``reviewer``'s when given."""
    submitted = Review.objects.filter(assignment=OuterRef("pk"), status=Review.Status.SUBMITTED)
    qs = (
        ReviewAssignment.objects.exclude(DECLARED_CONFLICT)
        .filter(application__status__in=REVIEWABLE)
        .filter(~Exists(submitted))
        .select_related("reviewer", "application", "application__cohort", "application__partner")
        .order_by("application__cohort__review_ends_at", "reviewer__full_name", "assigned_at")
    )
    return qs if reviewer is None else qs.filter(reviewer=reviewer)
