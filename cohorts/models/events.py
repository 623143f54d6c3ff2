"""Events for applicants (e.g. a call's webinar) and their registrations, and documents attached
to a cohort's call. All public-facing and owned by the practice team: no partner."""

import uuid

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from pine.validators import validate_plausible_datetime


class Event(models.Model):
    """An event for applicants. Joining details go only to registered people."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    cohort = models.ForeignKey("cohorts.Cohort", on_delete=models.CASCADE, related_name="events")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    starts_at = models.DateTimeField(validators=[validate_plausible_datetime])
    ends_at = models.DateTimeField(validators=[validate_plausible_datetime])
    joining_details = models.TextField(help_text="Sent to people who register: a link, a dial-in or a venue.")
    capacity = models.PositiveIntegerField(null=True, blank=True, help_text="Leave empty for no limit.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["starts_at"]
        constraints = [models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="event_ends_after_it_starts")]

    def __str__(self):
        return self.title


class EventRegistration(models.Model):
    """Someone registered for an event (they need no account)."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="registrations")
    name = models.CharField(max_length=200)
    email = models.EmailField()
    organisation = models.CharField(max_length=200)
    registered_at = models.DateTimeField(default=timezone.now)
    reminded_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["event", "registered_at"]
        constraints = [models.UniqueConstraint(fields=["event", "email"], name="event_registration_unique_email")]

    def __str__(self):
        return f"{self.name} ({self.organisation})"


class CohortDocument(models.Model):
    """A document attached to a cohort's call (guidance, templates): public once the call is."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    cohort = models.ForeignKey("cohorts.Cohort", on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(max_length=200)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    content = models.BinaryField()
    uploaded_by = models.ForeignKey("pine.User", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["cohort", "uploaded_at"]

    def __str__(self):
        return self.title
