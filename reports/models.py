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
    html = models.BinaryField(null=True, blank=True)
    pdf = models.BinaryField(null=True, blank=True)
    requested_by = models.ForeignKey("pine.User", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "evaluations_report"  # kept from the evaluations app it moved out of
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="report_progress_percent"),
        ]

    def __str__(self):
        return f"Report {self.code} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


from reports.dashboards.models import EvaluationFigures  # noqa: E402,F401  (dashboards keep their models in their package)
