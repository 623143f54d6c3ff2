"""Partners' data submissions and the outcome values they carry."""

import uuid

from django.core.files.storage import storages
from django.db import models
from django.utils import timezone


def uploads_storage():
    """Where uploaded files are kept (settings ``STORAGES["uploads"]``): never served from a URL."""
    return storages["uploads"]


def received_path(submission: "Submission", filename: str) -> str:
    # Named by the submission, never by the uploader's file name (which may say who the data is about).
    return f"outcomes/{submission.partner_id}/{submission.code}/received"


def kept_path(submission: "Submission", filename: str) -> str:
    return f"outcomes/{submission.partner_id}/{submission.code}/kept.csv"


class Group(models.TextChoices):
    INTERVENTION = "intervention", "Intervention"
    COMPARISON = "comparison", "Comparison"
    ALL = "all", "All children"


class Submission(models.Model):
    """One upload of outcome data (a file, or a JSON batch from a partner's system), processed by a
    Celery worker: queued -> running (parse, validate, store) -> accepted / rejected / checked (a dry
    run), or waiting for the uploader to explain unusual values.

    The file is stored (``STORAGES["uploads"]``) as ``received`` until a worker has read it and its
    result is committed (so a retry after a killed worker reads it again), then deleted. While the
    submission is pending (waiting for an explanation, or a dry run waiting to be stored), ``kept``
    holds what PINE keeps of it: the columns it read, child references pseudonymised, as CSV
    (``outcomes.parsing.KeptWriter``), read again when it is explained or stored; nothing otherwise."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Checking"
        NEEDS_EXPLANATION = "needs_explanation", "Needs an explanation"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"
        CHECKED = "checked", "Checked (dry run)"
        FAILED = "failed", "Failed"
        SUPERSEDED = "superseded", "Replaced by a later upload"
        DISCARDED = "discarded", "Discarded"

    FINISHED = (Status.ACCEPTED, Status.REJECTED, Status.CHECKED, Status.FAILED, Status.SUPERSEDED, Status.DISCARDED)
    # Waiting for the uploader: to explain the warnings, or (a clean dry run) to store the file.
    PENDING = (Status.NEEDS_EXPLANATION, Status.CHECKED)

    class Source(models.TextChoices):
        """Where the rows came from: a file (or batch) of PINE's format, or measures PINE computed
        from a statutory return (``returns``), which then go through the same checks and store."""

        UPLOAD = "upload", "Outcome data file"
        CIN = "cin", "Children in Need census"
        SSDA903 = "ssda903", "SSDA903 return"
        ANNEX_A = "annex_a", "Ofsted Annex A"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    partner = models.ForeignKey("pine.Partner", on_delete=models.CASCADE, related_name="+")
    evaluation = models.ForeignKey("evaluations.Evaluation", on_delete=models.CASCADE, related_name="submissions")
    filename = models.CharField(max_length=255)
    received = models.FileField(storage=uploads_storage, upload_to=received_path, max_length=300, blank=True)
    kept = models.FileField(storage=uploads_storage, upload_to=kept_path, max_length=300, blank=True)
    dry_run = models.BooleanField(default=False)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.UPLOAD)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    stage = models.CharField(max_length=200, blank=True)
    row_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    explanation = models.TextField(blank=True)
    # A pending upload closed because a later upload of any of its periods was stored.
    superseded_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # What storing the rows changes (or, in a dry run, would change): new, changed (old -> new), unchanged.
    changes = models.JSONField(default=list, blank=True)
    # A partner's system may retry a JSON batch: the same key and body give back this submission.
    idempotency_key = models.CharField(max_length=200, blank=True)
    body_hash = models.CharField(max_length=64, blank=True)
    uploaded_by = models.ForeignKey("pine.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="submission_progress_percent"),
            models.UniqueConstraint(
                fields=["partner", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="submission_one_per_idempotency_key",
            ),
        ]

    def __str__(self):
        return self.filename

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def period_starts(self) -> set[str]:
        """The periods (ISO start dates) of its rows, once it has been checked."""
        return {change["period_start"] for change in self.changes}

    @property
    def can_be_stored(self) -> bool:
        """A clean dry run: no problems, so storing it needs no new upload."""
        return self.status == self.Status.CHECKED and not self.errors

    def kept_bytes(self) -> bytes:
        """What PINE keeps of the upload (empty when nothing is kept)."""
        if not self.kept:
            return b""
        with self.kept.open("rb") as file:
            return file.read()

    def change_counts(self) -> dict[str, int]:
        counts = {"new": 0, "changed": 0, "unchanged": 0}
        for change in self.changes:
            counts[change["kind"]] += 1
        return counts


class OutcomeValue(models.Model):
    """One aggregate value: a measure, for a period, for a group of children. Values are never
    deleted: a later upload of the same measure, group and period supersedes them (``is_current``
    false, ``superseded_by`` the new value), and only current values feed reports."""

    partner = models.ForeignKey("pine.Partner", on_delete=models.CASCADE, related_name="+")
    evaluation = models.ForeignKey("evaluations.Evaluation", on_delete=models.CASCADE, related_name="+")
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="values")
    measure = models.ForeignKey("measures.Measure", on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField()
    period_end = models.DateField()
    group = models.CharField(max_length=20, choices=Group.choices)
    # Empty only when there is nothing to work it out from (a denominator of 0): "not estimable".
    value = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    numerator = models.PositiveIntegerField(null=True, blank=True)
    denominator = models.PositiveIntegerField(null=True, blank=True)
    is_current = models.BooleanField(default=True)
    superseded_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["measure", "group", "period_start"]
        indexes = [
            models.Index(fields=["partner", "evaluation", "measure", "period_start"]),
            # The periods that hold current data, read by a loose index scan (approval_selectors).
            models.Index(
                fields=["evaluation", "period_start"], condition=models.Q(is_current=True), name="outcome_value_current_periods"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "measure", "group", "period_start"],
                condition=models.Q(is_current=True),
                name="outcome_value_one_current_per_period",
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
            models.CheckConstraint(
                condition=models.Q(value__isnull=False) | models.Q(denominator=0),
                name="outcome_value_estimable_or_no_denominator",
            ),
        ]


class PeriodApproval(models.Model):
    """The practice team's approval of one period's data for an evaluation. While it stands
    (``unlocked_at`` empty) the period is locked: uploads touching it are refused. Unlocking keeps
    the row, with who unlocked it and why."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    partner = models.ForeignKey("pine.Partner", on_delete=models.CASCADE, related_name="+")
    evaluation = models.ForeignKey("evaluations.Evaluation", on_delete=models.CASCADE, related_name="+")
    period_start = models.DateField()
    approved_by = models.ForeignKey("pine.User", on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(default=timezone.now)
    unlocked_by = models.ForeignKey("pine.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    unlocked_at = models.DateTimeField(null=True, blank=True)
    unlock_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["period_start", "-approved_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "period_start"],
                condition=models.Q(unlocked_at__isnull=True),
                name="period_approval_one_standing",
            ),
        ]

    def __str__(self):
        return f"Approval of {self.period_start}"

    @property
    def is_locked(self) -> bool:
        return self.unlocked_at is None


class ChildRecord(models.Model):
    """One child's row of a child-level upload, kept with the submission that brought it. The child
    is known only by a keyed pseudonym (HMAC-SHA256 hex digest) and the version of the key that
    made it; the raw reference is never stored. The aggregate values computed from these rows are
    the submission's OutcomeValues."""

    # Child-level uploads run to a million rows, and each foreign key the database enforces is a
    # lookup per row (the four cost more than the whole bare COPY of the file). These rows are
    # written only by the import (outcomes.ingest), in the transaction that read their submission
    # and checked their measures; the partner is held by row-level security's WITH CHECK; deletes
    # still cascade through Django. Reads go through the composite index, which starts with the
    # partner, or the submission's.
    partner = models.ForeignKey("pine.Partner", on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False)
    evaluation = models.ForeignKey(
        "evaluations.Evaluation", on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="child_records", db_constraint=False)
    child_digest = models.CharField(max_length=64)
    key_version = models.CharField(max_length=20)
    measure = models.ForeignKey(
        "measures.Measure", on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False
    )
    period_start = models.DateField()
    period_end = models.DateField()
    event_date = models.DateField(null=True, blank=True)  # when the file gives one: several events a period
    group = models.CharField(max_length=20, choices=Group.choices)
    value = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)

    class Meta:
        # One row per child, measure, group, period (and event date) in a submission is the import checker's rule
        # (exact across chunks, tested), not a unique index: on random pseudonyms that index alone
        # made the import three times slower than a bare COPY of the file.
        indexes = [models.Index(fields=["partner", "evaluation", "measure", "period_start"])]


class PeriodQuery(models.Model):
    """The practice team sends one period's data back to the partner with a question. The partner
    answers in words, or by uploading the period again (``answer_submission``); either way the
    query and its answer stay in the period's history, shown to both sides. While a query is open
    (unanswered) the period cannot be approved: approval would lock the period against the very
    upload the query may ask for."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    partner = models.ForeignKey("pine.Partner", on_delete=models.CASCADE, related_name="+")
    evaluation = models.ForeignKey("evaluations.Evaluation", on_delete=models.CASCADE, related_name="+")
    period_start = models.DateField()
    question = models.TextField()
    asked_by = models.ForeignKey("pine.User", on_delete=models.PROTECT, related_name="+")
    asked_at = models.DateTimeField(default=timezone.now)
    answer = models.TextField(blank=True)
    answer_submission = models.ForeignKey(Submission, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    answered_by = models.ForeignKey("pine.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["period_start", "asked_at"]
        indexes = [models.Index(fields=["partner", "evaluation", "period_start"])]
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "period_start"],
                condition=models.Q(answered_at__isnull=True),
                name="period_query_one_open_per_period",
            ),
            models.CheckConstraint(
                condition=models.Q(answered_at__isnull=True) | models.Q(answered_by__isnull=False),
                name="period_query_answer_has_author",
            ),
        ]

    def __str__(self):
        return f"Query on {self.period_start}"

    @property
    def is_open(self) -> bool:
        return self.answered_at is None
