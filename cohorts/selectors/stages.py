"""Reads for moving a cohort between stages: what a move would do, counted now, so the practice
admin confirms it knowing the consequences (``cohorts.services.applications.cohort_transition``).

Practice scope: these count every partner's applications in the cohort."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Q
from django.utils import timezone

from cohorts.models import COHORT_TRANSITIONS, Application, Cohort, Review, ReviewAssignment
from pine.templatetags.govuk_format import govuk_datetime


@dataclass(frozen=True)
class StageCounts:
    """A cohort's work in progress, as the stage moves care about it."""

    drafts: int
    answering: int  # reopened for more information, not yet resubmitted
    unscreened: int  # submitted, waiting for screening
    reviews_outstanding: int  # active assignments on eligible applications without a submitted review
    reviews_submitted: int
    undecided: int  # screened eligible, with no decision recorded
    unreleased: int  # decisions recorded but not released


def stage_counts(*, cohort: Cohort) -> StageCounts:
    counts = Application.objects.filter(cohort=cohort).aggregate(
        drafts=Count("pk", filter=Q(status=Application.Status.DRAFT)),
        answering=Count("pk", filter=Q(status=Application.Status.MORE_INFORMATION)),
        unscreened=Count("pk", filter=Q(status=Application.Status.SUBMITTED)),
        undecided=Count("pk", filter=Q(status=Application.Status.ELIGIBLE, pending_decision="")),
        unreleased=Count("pk", filter=~Q(pending_decision="")),
    )
    outstanding = (
        ReviewAssignment.objects.filter(application__cohort=cohort, application__status=Application.Status.ELIGIBLE)
        .exclude(conflict=ReviewAssignment.Conflict.DECLARED)
        .exclude(review__status=Review.Status.SUBMITTED)
        .count()
    )
    submitted = Review.objects.filter(application__cohort=cohort, status=Review.Status.SUBMITTED).count()
    return StageCounts(reviews_outstanding=outstanding, reviews_submitted=submitted, **counts)


def _n(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


@dataclass
class StageMove:
    """What moving ``cohort`` to ``to`` would do: ``refusal`` when it may not happen now,
    ``consequences`` to confirm, and ``notices`` (who will be told)."""

    cohort: Cohort
    to: str
    refusal: str = ""
    consequences: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return Cohort.Status(self.to).label.lower()

    @property
    def is_step_back(self) -> bool:
        order = list(Cohort.Status.values)
        return order.index(self.to) < order.index(self.cohort.status)


def stage_move_refusal(*, cohort: Cohort, to: str, counts: StageCounts, now: datetime) -> str:
    """Why the move may not happen now ("" when it may). The forward moves are always allowed
    once confirmed; the step back (reviewing → open) only while it undoes nothing."""
    if to not in COHORT_TRANSITIONS[cohort.status]:
        allowed = ", ".join(Cohort.Status(s).label.lower() for s in cohort.allowed_transitions()) or "nothing"
        return f"A cohort that is {cohort.get_status_display().lower()} can move only to: {allowed}."
    if cohort.status == Cohort.Status.REVIEWING and to == Cohort.Status.OPEN:
        if counts.reviews_submitted:
            return (
                f"{cohort.name} cannot reopen for applications: {_n(counts.reviews_submitted, 'review has', 'reviews have')} "
                "been submitted."
            )
        if now >= cohort.deadline_at:
            return (
                f"{cohort.name} cannot reopen for applications: its deadline ({govuk_datetime(cohort.deadline_at)}) has "
                "passed and it would close again at once. Give an application an extension instead."
            )
    return ""


def stage_move_preview(*, cohort: Cohort, to: str, now: datetime | None = None) -> StageMove:
    """What the move would do, in words for the confirmation page."""
    now = now or timezone.now()
    counts = stage_counts(cohort=cohort)
    move = StageMove(cohort=cohort, to=to, refusal=stage_move_refusal(cohort=cohort, to=to, counts=counts, now=now))
    if move.refusal:
        return move
    deadline = govuk_datetime(cohort.deadline_at)
    say, tell = move.consequences.append, move.notices.append
    if to == Cohort.Status.OPEN and cohort.status == Cohort.Status.DRAFT:
        say("The call is published on the public list of calls.")
        if now < cohort.opens_at:
            say(f"Partners can apply from {govuk_datetime(cohort.opens_at)} until {deadline}.")
        elif now < cohort.deadline_at:
            say(f"Partners can apply at once, until {deadline}.")
        else:
            say(f"The deadline ({deadline}) has passed: the call will close again at once. Change the deadline first.")
    elif to == Cohort.Status.OPEN:  # the step back from reviewing
        say(f"The call reopens for applications until {deadline}. Nothing else changes: no review has been submitted.")
        if counts.drafts:
            tell(f"The partners of {_n(counts.drafts, 'draft application')} are told they can submit it again.")
    elif to == Cohort.Status.REVIEWING:
        if now < cohort.deadline_at:
            say(f"The deadline has not been reached: the call was to close on {deadline}. It closes early, now.")
        else:
            say(f"The call closes for applications (the deadline was {deadline}).")
        if counts.drafts:
            say(f"{_n(counts.drafts, 'draft application')} can no longer be submitted, except any given a later deadline.")
            tell(f"The partners of {_n(counts.drafts, 'draft application')} are told the call has closed.")
        if counts.unscreened:
            say(f"{_n(counts.unscreened, 'submitted application is', 'submitted applications are')} waiting to be screened.")
        say("You can move it back to open until the first review is submitted.")
    elif to == Cohort.Status.DECIDED:
        if counts.unscreened:
            say(
                f"{_n(counts.unscreened, 'submitted application has', 'submitted applications have')} not been screened: "
                "reviewers will no longer be assigned to them."
            )
        if counts.answering:
            say(
                f"{_n(counts.answering, 'application is', 'applications are')} reopened for more information: "
                "its partner can no longer answer."
            )
        if counts.reviews_outstanding:
            say(f"{_n(counts.reviews_outstanding, 'review is', 'reviews are')} outstanding: reviewers can no longer submit them.")
        if counts.undecided:
            say(f"{_n(counts.undecided, 'eligible application has', 'eligible applications have')} no decision recorded yet.")
        if not move.consequences:
            say("Every submitted application is screened and every review is in.")
        say("Reviewing ends: this cannot be undone.")
    elif to == Cohort.Status.ACTIVE:
        if counts.unreleased:
            say(
                f"{_n(counts.unreleased, 'decision is', 'decisions are')} recorded but not released: "
                "release them so the partners hear."
            )
        if counts.undecided:
            say(f"{_n(counts.undecided, 'eligible application has', 'eligible applications have')} no decision.")
        say("The programme starts for the accepted partners. This cannot be undone.")
    elif to == Cohort.Status.CLOSED:
        say("The cohort ends. This cannot be undone.")
    if not move.notices:
        tell("No applicant is told: nothing changes for them.")
    return move
