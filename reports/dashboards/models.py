"""The figures a dashboard shows for one evaluation, computed by a Celery worker
(``reports.dashboards.services.figures_refresh``) and read by the pages as they are: a page never
aggregates outcome rows itself. Partner-owned, behind row-level security like the data they come
from."""

from django.db import models
from django.utils import timezone

from reports.dashboards import rules


class EvaluationFigures(models.Model):
    partner = models.ForeignKey("pine.Partner", on_delete=models.CASCADE, related_name="+")
    evaluation = models.OneToOneField("evaluations.Evaluation", on_delete=models.CASCADE, related_name="figures")
    stage = models.CharField(max_length=30, choices=list(rules.STAGES.items()), default=rules.ONBOARDING)
    status = models.CharField(max_length=30, choices=list(rules.STATUSES.items()), default=rules.ON_TRACK)
    status_reasons = models.JSONField(default=list, blank=True)
    data_through = models.DateField(null=True, blank=True, help_text="The end of the latest period with data.")
    next_period = models.DateField(null=True, blank=True, help_text="The earliest planned period without data.")
    next_due_on = models.DateField(null=True, blank=True)
    last_upload_at = models.DateTimeField(null=True, blank=True)
    last_upload_status = models.CharField(max_length=30, blank=True)
    awaiting_approval = models.PositiveIntegerField(default=0)
    uploads_waiting = models.PositiveIntegerField(default=0, help_text="Uploads waiting for an explanation.")
    overdue_milestones = models.JSONField(default=list, blank=True)  # [{"name": ..., "due_on": ISO date}]
    latest_report_at = models.DateTimeField(null=True, blank=True)
    latest_report_status = models.CharField(max_length=20, blank=True)
    latest_report_code = models.UUIDField(null=True, blank=True)
    tasks = models.JSONField(default=list, blank=True)  # the partner's task list: [{"key", "name", "status", "hint"}]
    # [[period start ISO, state], ...] oldest first (rules.completeness)
    completeness = models.JSONField(default=list, blank=True)
    # Per measure: code, name, unit, polarity, chart (SPC centre, limits, points, signals), variation,
    # assurance, method, and the values table. The partner's own data: never shown across partners.
    measures = models.JSONField(default=list, blank=True)
    # Per measure, what may be shown across partners: the values as safe_cells leaves them.
    shared = models.JSONField(default=dict, blank=True)
    # Debounce: set when a refresh is asked for and queued, cleared when the worker takes it.
    refresh_queued = models.BooleanField(default=False)
    refresh_requested_at = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "reports_evaluationfigures"

    def __str__(self):
        return f"Figures of {self.evaluation_id}"

    @property
    def is_stale(self) -> bool:
        """Asked to refresh and not yet refreshed, or never computed."""
        return self.computed_at is None or self.refresh_queued
