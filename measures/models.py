"""The measure library: standard outcome measures everyone uses, and partners' local measures."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


class Measure(models.Model):
    """An outcome measure. A library measure has no partner: everyone reads it. A partner's local
    measure (``partner`` and ``evaluation`` set) is that partner's alone, behind row-level security
    like any tenant row; its code is unique within the partner and never a library code. The
    practice team may promote a local measure into the library: it keeps its row (so the data that
    uses it keeps working) and its code, loses its partner, and records where it came from."""

    class Unit(models.TextChoices):
        COUNT = "count", "Count"
        RATE_10K = "rate_10k", "Rate per 10,000 children"
        PERCENTAGE = "percentage", "Percentage"
        DAYS = "days", "Days"

    class Polarity(models.TextChoices):
        HIGHER_IS_BETTER = "higher", "Higher is better"
        LOWER_IS_BETTER = "lower", "Lower is better"

    class Frequency(models.TextChoices):
        MONTHLY = "monthly", "Monthly"
        QUARTERLY = "quarterly", "Quarterly"
        ANNUAL = "annual", "Annual"

    class ChildAggregation(models.TextChoices):
        COUNT = "count", "Count: the rows whose value is 1 (or empty)"
        PROPORTION = "proportion", "Proportion: the rows with 1 out of all rows (each 0 or 1)"
        MEAN = "mean", "Mean of the rows' values"
        MEDIAN = "median", "Median of the rows' values"
        AGGREGATES_ONLY = "aggregates_only", "None: send aggregate rows (a rate needs a population)"

    # How child-level rows of each unit may add up (the first is the unit's default).
    AGGREGATIONS_BY_UNIT = {
        "count": ["count"],
        "percentage": ["proportion"],
        "days": ["mean", "median"],
        "rate_10k": ["aggregates_only"],
    }

    class Source(models.TextChoices):
        CIN = "cin", "Children in Need census"
        SSDA903 = "ssda903", "SSDA903 (children looked after)"
        ANNEX_A = "annex_a", "Ofsted Annex A"
        LOCAL = "local", "Local data"

    code = models.SlugField(max_length=60)
    # A local measure's partner and the evaluation it was added to; both empty for the library.
    partner = models.ForeignKey("pine.Partner", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    evaluation = models.ForeignKey(
        "evaluations.Evaluation", null=True, blank=True, on_delete=models.CASCADE, related_name="local_measures"
    )
    created_by = models.ForeignKey("pine.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    # A library measure promoted from a partner's local measure: from whom, by whom, when.
    promoted_from = models.ForeignKey("pine.Partner", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    promoted_by = models.ForeignKey("pine.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    promoted_at = models.DateTimeField(null=True, blank=True)
    name = models.CharField(max_length=200)
    definition = models.TextField()
    unit = models.CharField(max_length=20, choices=Unit.choices)
    polarity = models.CharField(max_length=10, choices=Polarity.choices)
    numerator = models.TextField(blank=True)
    denominator = models.TextField(blank=True)
    frequency = models.CharField(max_length=20, choices=Frequency.choices, default=Frequency.MONTHLY)
    # How the import adds up child-level rows into this measure's values (outcomes.children).
    child_aggregation = models.CharField(
        "How child rows add up", max_length=20, choices=ChildAggregation.choices, blank=True, default=""
    )
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.LOCAL)
    source_fields = models.CharField(max_length=300, blank=True)
    # The library is versioned: each change keeps the earlier definition in ``history``.
    version = models.PositiveIntegerField(default=1)
    history = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    # The fields that make up a measure's definition (a change to any of them is a new version).
    DEFINITION_FIELDS = [
        "name", "definition", "unit", "polarity", "numerator", "denominator", "frequency", "child_aggregation", "source",
        "source_fields",
    ]  # fmt: skip

    class Meta:
        db_table = "outcomes_measure"  # kept from the outcomes app it moved out of
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=models.Q(partner__isnull=True), name="measure_library_code_unique"
            ),
            models.UniqueConstraint(
                fields=["partner", "code"],
                condition=models.Q(partner__isnull=False),
                name="measure_local_code_unique_per_partner",
            ),
            models.CheckConstraint(
                condition=models.Q(unit="count", child_aggregation="count")
                | models.Q(unit="percentage", child_aggregation="proportion")
                | models.Q(unit="days", child_aggregation__in=["mean", "median"])
                | models.Q(unit="rate_10k", child_aggregation="aggregates_only"),
                name="measure_child_aggregation_fits_unit",
            ),
            models.CheckConstraint(
                condition=models.Q(partner__isnull=True, evaluation__isnull=True)
                | models.Q(partner__isnull=False, evaluation__isnull=False),
                name="measure_local_has_partner_and_evaluation",
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.fit_aggregation()
        super().save(*args, **kwargs)

    def fit_aggregation(self) -> None:
        """None chosen: the unit's only rule, or its default (mean for days)."""
        allowed = self.AGGREGATIONS_BY_UNIT.get(self.unit, [])
        if allowed and not self.child_aggregation:
            self.child_aggregation = allowed[0]

    def clean(self):
        self.fit_aggregation()
        allowed = self.AGGREGATIONS_BY_UNIT.get(self.unit, [])
        if allowed and self.child_aggregation not in allowed:
            shown = " or ".join(str(self.ChildAggregation(a).label).split(":")[0].lower() for a in allowed)
            raise ValidationError({"child_aggregation": f"For this unit, child-level rows add up as: {shown}."})

    @property
    def is_local(self) -> bool:
        return self.partner_id is not None
