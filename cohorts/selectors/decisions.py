"""Reads for decisions: a cohort's applications awaiting or carrying a decision, and its places.

A decision is recorded as pending (``Application.pending_decision``) and reaches the applicant
only when the cohort's decisions are released (``cohorts.services.decisions``)."""

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from cohorts.models import Application, Cohort, Decision, Review, ReviewAssignment

# Applications a decision may be recorded for: screened, or on the waiting list (a place may come free).
DECIDABLE = frozenset({Application.Status.ELIGIBLE, Application.Status.INELIGIBLE, Application.Status.WAITING_LIST})
# The status each decision gives the application when it is released.
RELEASED_STATUS = {
    Decision.ACCEPT: Application.Status.ACCEPTED,
    Decision.WAITING_LIST: Application.Status.WAITING_LIST,
    Decision.DECLINE: Application.Status.DECLINED,
}


@dataclass(frozen=True)
class Places:
    """A cohort's places: those taken by accepted applications and by pending accepts."""

    capacity: int
    accepted: int
    pending: int

    @property
    def taken(self) -> int:
        return self.accepted + self.pending

    @property
    def over(self) -> bool:
        return self.taken > self.capacity

    def __str__(self):
        return f"{self.taken} of {self.capacity} place{'s' if self.capacity != 1 else ''}"


def cohort_places(*, cohort: Cohort, excluding: Application | None = None) -> Places:
    """How many of the cohort's places are taken (one query), leaving out ``excluding``'s own
    pending accept (when deciding it again)."""
    qs = Application.objects.filter(cohort=cohort)
    if excluding is not None:
        qs = qs.exclude(pk=excluding.pk)
    counts = qs.aggregate(
        accepted=Count("pk", filter=Q(status=Application.Status.ACCEPTED)),
        pending=Count("pk", filter=Q(pending_decision=Decision.ACCEPT) & ~Q(status=Application.Status.ACCEPTED)),
    )
    return Places(capacity=cohort.capacity, accepted=counts["accepted"], pending=counts["pending"])


def decision_pending_list(*, cohort: Cohort) -> QuerySet[Application]:
    """The cohort's pending decisions: what a release would send."""
    return (
        Application.objects.filter(cohort=cohort)
        .exclude(pending_decision="")
        .select_related("partner", "cohort")
        .order_by("partner__name", "practice_title")
    )


def decision_get(*, cohort: Cohort, code) -> Application | None:
    """One application of the cohort (any status: a decision may need clearing after it changed)."""
    return Application.objects.filter(cohort=cohort, code=code).select_related("partner", "cohort").first()


@dataclass(frozen=True)
class ReviewCounts:
    submitted: int
    outstanding: int  # reviewers assigned (no conflict) whose review is not submitted


def review_counts(*, application: Application) -> ReviewCounts:
    """How many reviews of the application are submitted, and how many are still to come."""
    counts = (
        ReviewAssignment.objects.filter(application=application)
        .exclude(conflict=ReviewAssignment.Conflict.DECLARED)
        .aggregate(
            assigned=Count("pk"),
            submitted=Count("pk", filter=Q(review__status=Review.Status.SUBMITTED)),
        )
    )
    return ReviewCounts(submitted=counts["submitted"], outstanding=counts["assigned"] - counts["submitted"])
