"""Reads of events for applicants, their registrations, and the documents attached to a call.

Public reads (``*_public``) never return anything of a draft cohort: a draft's events and
documents are "not found" to the public, like the draft itself.
"""

from django.core import signing
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from cohorts.models import Cohort, CohortDocument, Event, EventRegistration

CANCEL_SALT = "cohorts.event_registration.cancel"


def _with_counts(qs: QuerySet[Event]) -> QuerySet[Event]:
    return qs.select_related("cohort").annotate(
        registered_count=Count("registrations", filter=Q(registrations__cancelled_at__isnull=True))
    )


def event_list(*, cohort: Cohort) -> QuerySet[Event]:
    """A cohort's events (the practice team's view), each with ``registered_count``."""
    return _with_counts(Event.objects.filter(cohort=cohort)).order_by("starts_at")


def event_get(*, cohort: Cohort, code) -> Event | None:
    return event_list(cohort=cohort).filter(code=code).first()


def event_list_public(*, cohort: Cohort, upcoming_only: bool = False) -> QuerySet[Event]:
    """The events of a published cohort (none of a draft's)."""
    qs = _with_counts(Event.objects.filter(cohort=cohort).exclude(cohort__status=Cohort.Status.DRAFT))
    if upcoming_only:
        qs = qs.filter(ends_at__gt=timezone.now())
    return qs.order_by("starts_at")


def event_get_public(*, cohort_slug: str, code) -> Event | None:
    return (
        _with_counts(Event.objects.filter(cohort__slug=cohort_slug, code=code))
        .exclude(cohort__status=Cohort.Status.DRAFT)
        .first()
    )


def places_left(event: Event) -> int | None:
    """Places still free (None: no limit). Reads ``registered_count`` when the event has it."""
    if event.capacity is None:
        return None
    count = getattr(event, "registered_count", None)
    if count is None:
        count = event.registrations.filter(cancelled_at__isnull=True).count()
    return max(event.capacity - count, 0)


def registration_list(*, event: Event) -> QuerySet[EventRegistration]:
    """Everyone who registered for the event, cancelled or not, in the order they registered."""
    return EventRegistration.objects.filter(event=event).order_by("registered_at", "id")


def registration_get_public(*, event: Event, code) -> EventRegistration | None:
    return EventRegistration.objects.filter(event=event, code=code).select_related("event__cohort").first()


def registration_get_by_token(*, token: str) -> EventRegistration | None:
    """The registration a signed cancel link names (None for a forged or mangled link)."""
    try:
        code = signing.loads(token, salt=CANCEL_SALT)
    except signing.BadSignature:
        return None
    return (
        EventRegistration.objects.filter(code=code)
        .exclude(event__cohort__status=Cohort.Status.DRAFT)
        .select_related("event__cohort")
        .first()
    )


def registration_cancel_token(registration: EventRegistration) -> str:
    return signing.dumps(str(registration.code), salt=CANCEL_SALT)


# --- documents ----------------------------------------------------------------------------------------


def document_list(*, cohort: Cohort) -> QuerySet[CohortDocument]:
    """A cohort's documents, without their content (list pages never need it)."""
    return CohortDocument.objects.filter(cohort=cohort).defer("content").order_by("uploaded_at", "id")


def document_get(*, cohort: Cohort, code) -> CohortDocument | None:
    return CohortDocument.objects.filter(cohort=cohort, code=code).first()


def document_list_public(*, cohort: Cohort) -> QuerySet[CohortDocument]:
    return document_list(cohort=cohort).exclude(cohort__status=Cohort.Status.DRAFT)


def document_get_public(*, cohort_slug: str, code) -> CohortDocument | None:
    return CohortDocument.objects.filter(cohort__slug=cohort_slug, code=code).exclude(cohort__status=Cohort.Status.DRAFT).first()
