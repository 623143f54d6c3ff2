"""The measure library, partners' data submissions and the outcome values they carry."""

import uuid

from django.db import models
from django.utils import timezone


class Measure(models.Model):
    """A standard outcome measure in the shared library (no partner: everyone reads it)."""

    class Unit(models.TextChoices):
        COUNT = "count", "Count"
        RATE_10K = "rate_10k", "Rate per 10,000 children"
        PERCENTAGE = "percentage", "Percentage"
        DAYS = "days", "Days"

    class Polarity(models.TextChoices):
        HIGHER_IS_BETTER = "higher", "Higher is better"
        LOWER_IS_BETTER = "lower", "Lower is better"

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    definition = models.TextField()
    unit = models.CharField(max_length=20, choices=Unit.choices)
    polarity = models.CharField(max_length=10, choices=Polarity.choices)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Group(models.TextChoices):
    INTERVENTION = "intervention", "Intervention"
    COMPARISON = "comparison", "Comparison"
    ALL = "all", "All children"


class Submission(models.Model):
    """One uploaded file of outcome data. The raw file is kept with the row (behind RLS)."""

    class Status(models.TextChoices):
        REJECTED = "rejected", "Rejected"
        ACCEPTED = "accepted", "Accepted"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    partner = models.ForeignKey("pine.Partner", on_delete=models.CASCADE, related_name="+")
    evaluation = models.ForeignKey("evaluations.Evaluation", on_delete=models.CASCADE, related_name="submissions")
    filename = models.CharField(max_length=255)
    content = models.BinaryField()
    status = models.CharField(max_length=20, choices=Status.choices)
    row_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    uploaded_by = models.ForeignKey("pine.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.filename


class OutcomeValue(models.Model):
    """One aggregate value: a measure, for a period, for a group of children."""

    partner = models.ForeignKey("pine.Partner", on_delete=models.CASCADE, related_name="+")
    evaluation = models.ForeignKey("evaluations.Evaluation", on_delete=models.CASCADE, related_name="+")
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="values")
    measure = models.ForeignKey(Measure, on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField()
    period_end = models.DateField()
    group = models.CharField(max_length=20, choices=Group.choices)
    value = models.DecimalField(max_digits=14, decimal_places=4)
    numerator = models.PositiveIntegerField(null=True, blank=True)
    denominator = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["measure", "group", "period_start"]
        indexes = [models.Index(fields=["partner", "evaluation", "measure", "period_start"])]
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "measure", "group", "period_start"], name="outcome_value_one_per_period"
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")), name="outcome_value_period_order"
            ),
            models.CheckConstraint(
                condition=models.Q(numerator__isnull=True)
                | models.Q(denominator__isnull=True)
                | models.Q(numerator__lte=models.F("denominator")),
                name="outcome_value_numerator_within_denominator",
            ),
        ]
