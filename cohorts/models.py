"""Cohorts (rounds of the programme) and partners' applications to them."""

import uuid

from django.db import models
from django.utils import timezone

from pine.validators import validate_plausible_datetime


class Cohort(models.Model):
    """A round: a call for applications, then months of support. Owned by the practice team
    (no partner): its call is public."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        OPEN = "open", "Open for applications"
        REVIEWING = "reviewing", "Reviewing"
        DECIDED = "decided", "Decided"
        ACTIVE = "active", "Active"
        CLOSED = "closed", "Closed"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    theme = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    capacity = models.PositiveSmallIntegerField(default=9)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    opens_at = models.DateTimeField(validators=[validate_plausible_datetime])
    deadline_at = models.DateTimeField(validators=[validate_plausible_datetime])
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-opens_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(deadline_at__gt=models.F("opens_at")), name="cohort_deadline_after_opening")
        ]

    def __str__(self):
        return self.name

    def is_accepting_applications(self, now=None) -> bool:
        now = now or timezone.now()
        return self.status == self.Status.OPEN and self.opens_at <= now < self.deadline_at


class Application(models.Model):
    """A partner's application to a cohort."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Not selected"
        WITHDRAWN = "withdrawn", "Withdrawn"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    partner = models.ForeignKey("pine.Partner", on_delete=models.CASCADE, related_name="applications")
    cohort = models.ForeignKey(Cohort, on_delete=models.PROTECT, related_name="applications")
    practice_title = models.CharField("Name of the practice", max_length=200)
    practice_summary = models.TextField("What the practice is and why it is promising")
    outcomes_summary = models.TextField("The outcomes in children's social care it aims to change")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey("pine.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "cohort"], name="application_one_per_partner_and_cohort"),
        ]

    def __str__(self):
        return f"{self.practice_title} ({self.partner})"
