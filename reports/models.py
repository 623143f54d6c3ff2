"""Reports built from an evaluation's data."""

import uuid

from django.db import models
from django.utils import timezone


class Report(models.Model):
    """An evaluation report built by a Celery worker. Its files are stored with the row, so they sit
    behind the same row-level security as the data, and appear all at once or not at all."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Building"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    partner = models.ForeignKey("pine.Partner", on_delete=models.CASCADE, related_name="+")
    evaluation = models.ForeignKey("evaluations.Evaluation", on_delete=models.CASCADE, related_name="reports")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    stage = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    # What the version was built from, kept so it can be built again to the same bytes: the plan
    # version it follows (a draft plan marks the report DRAFT), the data snapshot (the outcome value
    # ids and approved periods) and its SHA-256, the analysis code's version and the parameters.
    version = models.PositiveIntegerField(null=True, blank=True)  # 1, 2, ... within the evaluation
    plan = models.ForeignKey("evaluations.EvaluationPlan", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    draft = models.BooleanField(default=False)
    snapshot = models.JSONField(default=dict, blank=True)
    data_checksum = models.CharField(max_length=64, blank=True)
    code_version = models.CharField(max_length=100, blank=True)
    parameters = models.JSONField(default=dict, blank=True)
    html = models.BinaryField(null=True, blank=True)
    pdf = models.BinaryField(null=True, blank=True)
    results = models.BinaryField(null=True, blank=True)  # the results JSON
    requested_by = models.ForeignKey("pine.User", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "evaluations_report"  # kept from the evaluations app it moved out of
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="report_progress_percent"),
            models.UniqueConstraint(fields=["evaluation", "version"], name="report_one_row_per_version"),
        ]

    # The files a finished report offers, by the name of their download (download.<kind>).
    FILE_KINDS = ("html", "pdf", "json")
    FILE_FIELDS = {"html": "html", "pdf": "pdf", "json": "results"}

    def __str__(self):
        return f"Report {self.code} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


from reports.dashboards.models import EvaluationFigures  # noqa: E402,F401  (dashboards keep their models in their package)
