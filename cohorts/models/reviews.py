"""Review of applications: each cohort's scoring rubric, reviewers' assignments (with their
conflict-of-interest declarations), and their reviews and scores.

Reviews are the practice team's data. They carry no partner and sit behind a practice-only
row-level-security policy: a partner's transaction cannot read a single row of them.
"""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone


class Criterion(models.Model):
    """One criterion of a cohort's rubric. Criteria that are not counted are scored and shown, but
    left out of the weighted total (e.g. "fit with the round's theme", for information)."""

    cohort = models.ForeignKey("cohorts.Cohort", on_delete=models.CASCADE, related_name="criteria")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    weight = models.DecimalField(max_digits=5, decimal_places=2, default=1)
    counted = models.BooleanField("Counts towards the total", default=True)

    class Meta:
        ordering = ["cohort", "position"]
        constraints = [
            models.UniqueConstraint(fields=["cohort", "position"], name="criterion_unique_position"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="criterion_weight_positive"),
        ]

    def __str__(self):
        return self.title


class ScaleLevel(models.Model):
    """One point of a cohort's scoring scale, with what it means (e.g. 4, "Strong", "Clear
    evidence that...")."""

    cohort = models.ForeignKey("cohorts.Cohort", on_delete=models.CASCADE, related_name="scale")
    score = models.PositiveSmallIntegerField()
    label = models.CharField(max_length=100)
    descriptor = models.TextField()

    class Meta:
        ordering = ["cohort", "score"]
        constraints = [models.UniqueConstraint(fields=["cohort", "score"], name="scale_level_unique_score")]

    def __str__(self):
        return f"{self.score}: {self.label}"


class ReviewAssignment(models.Model):
    """A reviewer assigned to an application. Before opening it the reviewer declares a conflict
    of interest or none; a declared conflict ends the assignment (the row stays as the record)."""

    class Conflict(models.TextChoices):
        UNDECLARED = "undeclared", "Not yet declared"
        NONE = "none", "No conflict"
        DECLARED = "declared", "Conflict declared"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    application = models.ForeignKey("cohorts.Application", on_delete=models.CASCADE, related_name="assignments")
    reviewer = models.ForeignKey("pine.User", on_delete=models.PROTECT, related_name="review_assignments")
    assigned_by = models.ForeignKey("pine.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(default=timezone.now)
    conflict = models.CharField(max_length=20, choices=Conflict.choices, default=Conflict.UNDECLARED)
    conflict_details = models.TextField(blank=True)
    conflict_declared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["application", "assigned_at"]
        constraints = [
            models.UniqueConstraint(fields=["application", "reviewer"], name="review_assignment_unique_reviewer"),
        ]

    def __str__(self):
        return f"{self.reviewer} on {self.application}"

    @property
    def is_active(self) -> bool:
        return self.conflict != self.Conflict.DECLARED


class Review(models.Model):
    """A reviewer's review of one application: a score for each criterion and comments. Saved as a
    draft until submitted; submitted reviews are final."""

    class Status(models.TextChoices):
        DRAFT = "draft", "In progress"
        SUBMITTED = "submitted", "Submitted"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    assignment = models.OneToOneField(ReviewAssignment, on_delete=models.CASCADE, related_name="review")
    application = models.ForeignKey("cohorts.Application", on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey("pine.User", on_delete=models.PROTECT, related_name="reviews")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    comments = models.TextField("Overall comments", blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["application", "started_at"]
        constraints = [
            models.UniqueConstraint(fields=["application", "reviewer"], name="review_one_per_reviewer"),
            models.CheckConstraint(condition=Q(status="draft") | Q(submitted_at__isnull=False), name="review_submitted_has_time"),
        ]

    def __str__(self):
        return f"Review of {self.application} by {self.reviewer}"


class Score(models.Model):
    """One criterion's score in a review."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="scores")
    score = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["review", "criterion__position"]
        constraints = [models.UniqueConstraint(fields=["review", "criterion"], name="score_one_per_criterion")]

    def __str__(self):
        return f"{self.criterion}: {self.score}"
