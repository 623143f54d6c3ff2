"""Imports of statutory returns: the files a partner sends, read by a worker into the standard
measures, which then go into the outcome store as an ordinary submission (``outcomes``)."""

import uuid

from django.core.files.storage import storages
from django.db import models
from django.utils import timezone


def uploads_storage():
    return storages["uploads"]


class ReturnImport(models.Model):
    """One import of a statutory return (one or several files of one kind) into an evaluation:
    queued -> running -> done (its measures handed to the outcome store as ``submission``) or
    refused (the return's own problems, or not a return PINE reads; nothing stored) or failed.

    The files are kept in the uploads storage, unread, only until a worker has read them (``files``
    names them; emptied, and the files deleted, once the import has finished). Child lists for the
    groups are pseudonymised as they are received: only the pseudonyms are kept. Nothing
    identifying is ever written to the row: the summary holds counts, problems that name elements
    and fields, and the partner's own measures."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Reading the return"
        DONE = "done", "Measures computed"
        REFUSED = "refused", "Refused"
        FAILED = "failed", "Failed"

    class Kind(models.TextChoices):
        CIN = "cin", "Children in Need census"
        SSDA903 = "ssda903", "SSDA903 return"
        ANNEX_A = "annex_a", "Ofsted Annex A"

    class Frequency(models.TextChoices):
        MEASURE = "", "Each measure's usual frequency"
        MONTHLY = "monthly", "Monthly"
        QUARTERLY = "quarterly", "Quarterly"
        ANNUAL = "annual", "Annual (April to March)"

    class Groups(models.TextChoices):
        ALL = "all", "All children only"
        LISTS = "lists", "Lists of children I upload"
        RULE = "rule", "Records on or after the intervention start"

    FINISHED = (Status.DONE, Status.REFUSED, Status.FAILED)

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    partner = models.ForeignKey("pine.Partner", on_delete=models.CASCADE, related_name="+")
    evaluation = models.ForeignKey("evaluations.Evaluation", on_delete=models.CASCADE, related_name="+")
    requested_kind = models.CharField(max_length=20, choices=Kind.choices, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, blank=True)
    # The received files while they wait for a worker: [{"name": as uploaded, "stored": storage name, "bytes": n}].
    files = models.JSONField(default=list, blank=True)
    file_count = models.PositiveSmallIntegerField(default=0)
    dry_run = models.BooleanField(default=False)
    frequency = models.CharField(max_length=20, choices=Frequency.choices, blank=True)
    period_from = models.DateField(null=True, blank=True)
    period_to = models.DateField(null=True, blank=True)
    groups = models.CharField(max_length=10, choices=Groups.choices, default=Groups.ALL)
    # Pseudonyms only (the lists are pseudonymised as they are received).
    intervention_children = models.JSONField(default=list, blank=True)
    comparison_children = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    stage = models.CharField(max_length=200, blank=True)
    # {"kind", "children", "records", "problems": [...], "measures": {code: [...]}} (the command's JSON).
    summary = models.JSONField(default=dict, blank=True)
    submission = models.ForeignKey("outcomes.Submission", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_by = models.ForeignKey("pine.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["partner", "evaluation", "created_at"])]
        constraints = [models.CheckConstraint(condition=models.Q(progress__lte=100), name="return_import_progress_percent")]

    def __str__(self):
        return f"{self.get_kind_display() or 'Return'} import"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def problems(self) -> list[dict]:
        return self.summary.get("problems", [])

    @property
    def errors(self) -> list[dict]:
        return [p for p in self.problems if p.get("severity") == "error"]

    @property
    def warnings(self) -> list[dict]:
        return [p for p in self.problems if p.get("severity") != "error"]
