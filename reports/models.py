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

    class Publication(models.TextChoices):
        NOT_FINAL = "not_final", "Not final"
        FINAL = "final", "Final, awaiting approval"
        PUBLISHED = "published", "Approved and published"

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
    xlsx = models.BinaryField(null=True, blank=True)  # the appendix workbook: findings and every safe cell
    docx = models.BinaryField(null=True, blank=True)  # the report as a Word document, to edit
    requested_by = models.ForeignKey("pine.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Final and published: the partner's lead writes key messages and marks the version final; a
    # practice admin approves it (copied to PublishedReport) or sends it back with a reason.
    narrative = models.TextField(blank=True)  # the partner's own key messages, shown as theirs
    publication = models.CharField(max_length=20, choices=Publication.choices, default=Publication.NOT_FINAL)
    finalised_at = models.DateTimeField(null=True, blank=True)
    finalised_by = models.ForeignKey("pine.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey("pine.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    sent_back_reason = models.TextField(blank=True)  # the practice admin's last reason, until it is final again

    class Meta:
        db_table = "evaluations_report"  # kept from the evaluations app it moved out of
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="report_progress_percent"),
            models.UniqueConstraint(fields=["evaluation", "version"], name="report_one_row_per_version"),
            # Only a finished version that follows a signed-off plan can be final or published.
            models.CheckConstraint(
                condition=models.Q(publication="not_final") | models.Q(status="done", draft=False),
                name="report_final_only_when_done_and_not_draft",
            ),
        ]

    # The files a finished report offers, by the name of their download (download.<kind>).
    FILE_KINDS = ("html", "pdf", "json", "xlsx", "docx")
    FILE_FIELDS = {"html": "html", "pdf": "pdf", "json": "results", "xlsx": "xlsx", "docx": "docx"}
    NARRATIVE_MAX_WORDS = 300

    def __str__(self):
        return f"Report {self.code} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def latest_finalisation(self) -> "ReportFinalisation | None":
        """The latest request to mark it final (prefetched by the selectors that list reports)."""
        history = getattr(self, "finalisation_history", None)
        if history is None:
            history = list(self.finalisations.order_by("-created_at", "-pk")[:1])
        return history[0] if history else None


class ReportFinalisation(models.Model):
    """Marking a report version final, done by a Celery worker (``reports.services.report_finalise``):
    its HTML, PDF and Word document are drawn again with the partner's key messages, and the files
    and the version's "final" are written together, in one transaction, or not at all. The row is
    the job (queued, running, done or failed, with its progress and, when it failed, why), so the
    report's page and the API can show how it is going; a version has at most one at a time."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Drawing the final files"
        DONE = "done", "Final"
        FAILED = "failed", "Failed"

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    partner = models.ForeignKey("pine.Partner", on_delete=models.CASCADE, related_name="+")
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="finalisations")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    stage = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey("pine.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="report_finalisation_progress_percent"),
            models.UniqueConstraint(
                fields=["report"],
                condition=models.Q(status__in=("queued", "running")),
                name="report_one_finalisation_at_a_time",
            ),
        ]

    def __str__(self):
        return f"Finalisation {self.code} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE


class PublishedReport(models.Model):
    """A copy of an approved report version, made when a practice admin approves it, for the public
    "Published evaluations" page. It has no partner: what it holds was approved for anyone to read,
    and anonymous requests have no tenant scope, so the public page reads this table alone and the
    partner's own tables stay behind row-level security (allow-listed in tests/test_tenancy.py)."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    report_code = models.UUIDField(unique=True)  # the Report it copies (a code, not a key into a tenant table)
    evaluation_code = models.UUIDField(db_index=True)  # versions of one evaluation supersede each other
    version = models.PositiveIntegerField()
    partner_name = models.CharField(max_length=200)
    evaluation_title = models.CharField(max_length=300)
    cohort_name = models.CharField(max_length=200)
    theme = models.CharField(max_length=200, blank=True)
    practice_title = models.CharField(max_length=300, blank=True)
    narrative = models.TextField(blank=True)
    key_messages = models.JSONField(default=list, blank=True)  # one sentence per planned measure, from the results
    html = models.BinaryField()
    pdf = models.BinaryField()
    results = models.BinaryField()
    xlsx = models.BinaryField(null=True, blank=True)  # none in copies published before the workbook was copied
    docx = models.BinaryField(null=True, blank=True)
    published_at = models.DateTimeField(default=timezone.now)
    superseded_by_version = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-published_at"]

    FILE_FIELDS = Report.FILE_FIELDS
    OPTIONAL_FILES = ("xlsx", "docx")  # the lists annotate has_xlsx and has_docx rather than read them

    def __str__(self):
        return f"{self.evaluation_title} v{self.version} (published)"

    def has_file(self, kind: str) -> bool:
        if kind not in self.OPTIONAL_FILES:
            return kind in self.FILE_FIELDS
        known = getattr(self, f"has_{kind}", None)
        return known if known is not None else getattr(self, kind) is not None

    @property
    def file_kinds(self) -> list[str]:
        """The files this copy offers, in the order of Report.FILE_KINDS."""
        return [kind for kind in Report.FILE_KINDS if self.has_file(kind)]

    @property
    def is_superseded(self) -> bool:
        return self.superseded_by_version is not None


from reports.dashboards.models import EvaluationFigures  # noqa: E402,F401  (dashboards keep their models in their package)
