"""Reads for deadline reminders: applications whose deadline is coming and that can still be sent."""

from datetime import datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone

from cohorts.models import COHORT_ANSWERING_STAGES, Application

# Reminders go 7 days and 1 day before an application's deadline (calendar days, UK time).
REMINDER_DAYS = (7, 1)


def days_left(application: Application, now: datetime) -> int:
    """Calendar days from today to the application's deadline (0 on the day itself)."""
    return (timezone.localdate(application.deadline()) - timezone.localdate(now)).days


def application_list_deadline_coming(*, now: datetime, days: int = max(REMINDER_DAYS)) -> list[Application]:
    """Every partner's applications that can still be sent (a draft before its deadline, or one
    reopened for more information) whose deadline, as ``Application.deadline()`` gives it (an
    extension counts), is at most ``days`` calendar days away. Practice scope (every partner)."""
    today = timezone.localdate(now)
    horizon = timezone.make_aware(datetime.combine(today + timedelta(days=days + 1), time.min))
    candidates = (
        Application.objects.select_related("cohort", "partner")
        .filter(
            status__in=(Application.Status.DRAFT, Application.Status.MORE_INFORMATION),
            # Open cohorts; an extension outlives the call's "open" stage, so reviewing ones too.
            cohort__status__in=COHORT_ANSWERING_STAGES,
        )
        .filter(
            Q(cohort__deadline_at__gt=now, cohort__deadline_at__lt=horizon)
            | Q(deadline_extended_to__gt=now, deadline_extended_to__lt=horizon)
        )
        .order_by("partner_id", "pk")
    )
    # The model says when an application can still be sent and what its deadline is: ask it.
    return [a for a in candidates if a.edit_refusal(now) is None and now < a.deadline() < horizon]
