"""Writes of outcome data.

An upload is a :class:`Submission` row processed by a Celery worker in three stages: parse (read
the file), validate (check every cell; compare with stored data; refuse locked periods) and store
(supersede the earlier values and write the new ones, in one transaction). A file with any problem
stores nothing. Values 5 times or more, or less than a fifth of, the same measure and group's
previous stored period are warnings: the submission waits until the uploader explains them.
"""

import contextlib
import hashlib
import hmac
import logging
import tempfile
from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from evaluations import selectors as evaluation_selectors
from evaluations import services as evaluation_services
from measures import selectors as measure_selectors
from outcomes import ingest
from outcomes.models import ChildRecord, OutcomeValue, PeriodApproval, PeriodQuery, Submission
from outcomes.parsing import KEPT_FILENAME, OutcomeRow, Problem, sanitise_upload, too_large_problem, upload_limits
from outcomes.periods import period_length
from pine import jobs
from pine.audit import audit_record, audited_create, audited_update
from pine.changes import announce_evaluation_changed
from pine.locks import advisory_lock
from pine.models import Partner, User
from pine.notifications import notify, practice_data_team

logger = logging.getLogger(__name__)

WARNING_RATIO = Decimal(5)
STORE_CHUNK = 1000
INGEST_CHUNK_ROWS = 50_000  # rows read, checked and stored at a time (see outcomes.ingest)


# --- creating and explaining submissions ------------------------------------------------------------


def _submission_new(
    *, partner: Partner, actor: User, evaluation, filename: str, content: File | bytes, dry_run: bool, **extra
) -> Submission:
    """Record an upload and store its file as received (streamed in chunks to the uploads storage),
    unread: a worker reads it. A file over the size limit is recorded as rejected, keeping none of
    it."""
    if evaluation.partner_id != partner.pk:
        raise ValueError("evaluation belongs to another partner")
    # No data enters the platform, not even for a dry run, without a data sharing agreement in force.
    blocker = evaluation_selectors.evaluation_upload_blocker(partner=partner, evaluation=evaluation)
    if blocker:
        raise ValidationError(blocker, code="no_data_sharing_agreement")
    file = ContentFile(content) if isinstance(content, bytes) else content
    max_bytes, _ = upload_limits()
    too_large = file.size > max_bytes
    submission = Submission(
        partner=partner,
        evaluation=evaluation,
        filename=filename[:255] or "upload.csv",
        dry_run=dry_run,
        uploaded_by=actor,
        stage="Waiting for a worker",
        **extra,
    )
    if not too_large:
        submission.received.save("received", file, save=False)
    audited_create(
        submission,
        actor=actor,
        partner=partner,
        action="submission.queue",
        changes={"filename": submission.filename, "bytes": file.size, "dry_run": dry_run, "source": submission.source},
        clean_options={"exclude": ["received", "kept"]},
    )
    if too_large:
        _finish(submission, Submission.Status.REJECTED, errors=[too_large_problem(max_bytes).as_dict()], row_count=0)
        submission.refresh_from_db()
    return submission


def upload_max_bytes() -> int:
    return upload_limits()[0]


def too_large_message() -> str:
    return too_large_problem(upload_max_bytes()).reason


def kept_upload(content: bytes, filename: str) -> bytes | list[Problem]:
    """What PINE keeps of an upload already in memory (``outcomes.parsing.sanitise_upload``): the
    rows and columns it reads, child references pseudonymised, as CSV; or the problems that refuse
    the file as it is read, and then none of it. Idempotent. (The worker keeps the same as it reads
    the received file; migration 0011 applies this to rows of its time.)"""
    version = settings.PSEUDONYM_KEY_VERSION
    return sanitise_upload(content, filename=filename, key=settings.PSEUDONYM_KEYS.get(version, ""), version=version)


def _enqueue(submission: Submission) -> None:
    from outcomes.tasks import process_submission

    jobs.enqueue(process_submission, submission.pk)


@transaction.atomic
def submission_queue(
    *,
    partner: Partner,
    actor: User,
    evaluation,
    filename: str,
    content: File | bytes,
    dry_run: bool = False,
    source: str = Submission.Source.UPLOAD,
) -> Submission:
    """Record an upload (an uploaded file, read from in chunks, or bytes) and hand it to a worker once
    this transaction has committed. Nothing of the file is read here. ``source`` says where the rows
    came from (a statutory return's measures come this way too)."""
    submission = _submission_new(
        partner=partner, actor=actor, evaluation=evaluation, filename=filename, content=content, dry_run=dry_run, source=source
    )
    if submission.status == Submission.Status.QUEUED:
        _enqueue(submission)
    return submission


@transaction.atomic
def submission_upload(
    *,
    partner: Partner,
    actor: User,
    evaluation,
    filename: str,
    content: File | bytes,
    dry_run: bool = False,
    source: str = Submission.Source.UPLOAD,
) -> Submission:
    """Record an upload and process it now, in this process (for the import commands and the seed
    data). The same stages as the worker's; returns the finished (or waiting) submission."""
    submission = _submission_new(
        partner=partner, actor=actor, evaluation=evaluation, filename=filename, content=content, dry_run=dry_run, source=source
    )
    if submission.status == Submission.Status.QUEUED:
        submission_process(submission_id=submission.pk)
        submission.refresh_from_db()
    return submission


def body_hash(content: bytes) -> str:
    """A keyed digest (HMAC-SHA256 under the current pseudonym key) of a batch's rows: never a plain
    digest of raw child references, which could be reversed by hashing every possible reference."""
    version = settings.PSEUDONYM_KEY_VERSION
    key = settings.PSEUDONYM_KEYS.get(version, "")
    return hmac.new(key.encode(), content, hashlib.sha256).hexdigest()


class IdempotencyConflict(Exception):
    """The key was used before with a different body."""


@transaction.atomic
def submission_queue_batch(
    *, partner: Partner, actor: User, evaluation, idempotency_key: str, content: bytes, dry_run: bool = False
) -> tuple[Submission, bool]:
    """A JSON batch from a partner's system (already turned into CSV ``content``). The same key
    and body give back the first submission (``created`` false); the same key with another body
    raises :class:`IdempotencyConflict`."""
    digest = body_hash(content)
    # Serialise requests with one key, so two retries arriving at once create one submission.
    advisory_lock(f"outcomes.batch:{partner.pk}:{idempotency_key}")
    existing = Submission.objects.filter(partner=partner, idempotency_key=idempotency_key).first()
    if existing is not None:
        if existing.body_hash != digest or existing.evaluation_id != evaluation.pk or existing.dry_run != dry_run:
            raise IdempotencyConflict("This Idempotency-Key was used before with a different request.")
        return existing, False
    submission = _submission_new(
        partner=partner,
        actor=actor,
        evaluation=evaluation,
        filename="api-batch.csv",
        content=content,
        dry_run=dry_run,
        idempotency_key=idempotency_key,
        body_hash=digest,
    )
    if submission.status == Submission.Status.QUEUED:
        _enqueue(submission)
    return submission, True


@transaction.atomic
def submission_explain(*, partner: Partner, actor: User, submission: Submission, explanation: str) -> Submission:
    """The uploader's explanation of the warnings; the submission goes back to the worker to store."""
    if submission.partner_id != partner.pk:
        raise ValueError("submission belongs to another partner")
    explanation = explanation.strip()
    if not explanation:
        raise ValidationError({"explanation": "Explain why these values are so different from the previous period."})
    updated = Submission.objects.filter(pk=submission.pk, status=Submission.Status.NEEDS_EXPLANATION).update(
        explanation=explanation[:5000], status=Submission.Status.QUEUED, progress=0, stage="Waiting for a worker"
    )
    if not updated:
        raise ValidationError({"explanation": "This upload is not waiting for an explanation."})
    audit_record(actor=actor, partner=partner, action="submission.explain", obj=submission, changes={"explanation": explanation})
    _enqueue(submission)
    submission.refresh_from_db()
    return submission


@transaction.atomic
def submission_store_checked(*, partner: Partner, actor: User, submission: Submission) -> Submission:
    """Store a clean dry run without a new upload: it goes back to the worker, checked again against
    the data as it now stands, and stored (or, with warnings, waits for an explanation)."""
    if submission.partner_id != partner.pk:
        raise ValueError("submission belongs to another partner")
    blocker = evaluation_selectors.evaluation_upload_blocker(partner=partner, evaluation=submission.evaluation)
    if blocker:
        raise ValidationError(blocker, code="no_data_sharing_agreement")
    updated = Submission.objects.filter(pk=submission.pk, status=Submission.Status.CHECKED, errors=[]).update(
        dry_run=False, status=Submission.Status.QUEUED, progress=0, stage="Waiting for a worker", finished_at=None
    )
    if not updated:
        raise ValidationError(
            "Only a dry run with no problems can be stored this way. Upload the file again.", code="not_checked"
        )
    audit_record(actor=actor, partner=partner, action="submission.store_checked", obj=submission, changes={})
    _enqueue(submission)
    submission.refresh_from_db()
    return submission


@transaction.atomic
def submission_discard(*, partner: Partner, actor: User, submission: Submission) -> Submission:
    """The uploader drops an upload waiting for an explanation, or a dry run: nothing of it is
    stored, and what was kept of the file is deleted."""
    if submission.partner_id != partner.pk:
        raise ValueError("submission belongs to another partner")
    kept = Submission.objects.filter(pk=submission.pk).values_list("kept", flat=True).first()
    updated = Submission.objects.filter(pk=submission.pk, status__in=Submission.PENDING).update(
        status=Submission.Status.DISCARDED,
        stage=Submission.Status.DISCARDED.label,
        progress=100,
        kept="",
        finished_at=timezone.now(),
    )
    if not updated:
        raise ValidationError("Only an upload waiting for an explanation, or a dry run, can be discarded.", code="not_pending")
    _delete_on_commit(kept)
    audit_record(actor=actor, partner=partner, action="submission.discard", obj=submission, changes={})
    submission.refresh_from_db()
    return submission


# --- the worker's stages ----------------------------------------------------------------------------


def submission_process(*, submission_id: int) -> str:
    """Read, check and store one submission (the job runner claims the row and handles failure).
    Idempotent: a submission that is finished, waiting for an explanation or being processed by a
    live worker is left alone; one whose worker died is taken over (its received file is deleted only
    once a result is committed, so it reads it again). Its values and its "accepted" status are
    written in one transaction, so a worker killed half-way leaves nothing half-stored."""
    return jobs.run_job(
        Submission,
        submission_id,
        _process,
        first_stage="Reading the file",
        failure=_failure,
        discard=_discard_files,
    )


def _discard_files(submission_id: int) -> None:
    """Nothing of a failed upload is kept (run in the transaction that marks it failed)."""
    files = Submission.objects.filter(pk=submission_id).values_list("received", "kept").first() or ()
    Submission.objects.filter(pk=submission_id).update(received="", kept="")
    _delete_on_commit(*files)


def _delete_on_commit(*names: str) -> None:
    """Delete these files of the uploads storage once the transaction has committed (the row no
    longer names them; until then a rollback, or a retry, still finds them)."""
    names = [name for name in names if name]
    if not names:
        return
    storage = storages["uploads"]

    def delete() -> None:
        for name in names:
            try:
                storage.delete(name)
            except OSError:  # the row no longer names it; a stray file is logged, not fatal
                logger.warning("Could not delete an uploaded file of a finished submission", exc_info=True)

    transaction.on_commit(delete)


def _failure(cause: str) -> dict:
    because = f" because {cause}" if cause else ""
    reason = f"The file could not be processed{because}. Nothing was stored; try again later."
    return {"stage": "Failed", "errors": [Problem(0, "", "", reason).as_dict()]}


def _finish(submission: Submission, status: str, **fields) -> str:
    fields.update(status=status, progress=100, stage=Submission.Status(status).label, finished_at=timezone.now())
    Submission.objects.filter(pk=submission.pk).update(**fields)
    audit_record(
        actor=submission.uploaded_by,
        partner=submission.partner,
        action=f"submission.{status}",
        obj=submission,
        changes={
            "rows": fields.get("row_count", 0),
            "problems": len(fields.get("errors", [])),
            "warnings": len(fields.get("warnings", [])),
        },
    )
    announce_evaluation_changed(partner_id=submission.partner_id, evaluation_id=submission.evaluation_id, what="upload")
    return status


class _Refused(Exception):
    """The file is refused, or only checked, or waits for an explanation: nothing of it is kept."""

    def __init__(self, status: str, **fields):
        super().__init__(status)
        self.status, self.fields = status, fields


def _process(job: jobs.Job) -> str:
    with job.atomic():
        submission = Submission.objects.select_related("partner", "evaluation", "uploaded_by").get(pk=job.pk)
        measures = {m.code: m for m in measure_selectors.measure_list(partner=submission.partner)}
    # The file as received, on the first run; what was kept of it, when it is explained or stored.
    first_run = bool(submission.received)
    if first_run:
        source, filename = submission.received, submission.filename
    elif submission.kept:
        source, filename = submission.kept, KEPT_FILENAME  # what was kept of the upload is CSV, whatever its name
    else:
        gone = Problem(0, "", "", "The file is no longer stored. Upload it again.")
        with job.atomic():
            return _finish(submission, Submission.Status.FAILED, errors=[gone.as_dict()], row_count=0)
    job.progress(5, ingest.STAGE)
    with contextlib.ExitStack() as files:
        # What PINE keeps of the file is written as it is read, to a local temporary file, and stored
        # only if the submission is then pending.
        kept = files.enter_context(tempfile.TemporaryFile()) if first_run else None
        size = source.storage.size(source.name)
        raw = files.enter_context(source.storage.open(source.name, "rb"))
        with job.atomic():
            try:
                with transaction.atomic():
                    status = _ingest(submission, raw, size, filename, measures, job, kept)
            except _Refused as refused:
                if refused.status == Submission.Status.NEEDS_EXPLANATION:
                    status = _wait_for_explanation(submission, **refused.fields)
                else:
                    status = _finish(submission, refused.status, **refused.fields)
            _settle_files(submission, status, kept)
    return status


def _settle_files(submission: Submission, status: str, kept) -> None:
    """In the transaction that records the result: the received file goes (once committed); what
    is kept of it is stored while the submission is pending, and deleted once it is not."""
    fields, gone = {}, []
    if submission.received:
        fields["received"], gone = "", [submission.received.name]
    if status in Submission.PENDING:
        if kept is not None:
            kept.seek(0)
            submission.kept.save("kept.csv", File(kept, name="kept.csv"), save=False)
            fields["kept"] = submission.kept.name
    elif submission.kept:
        fields["kept"] = ""
        gone.append(submission.kept.name)
    if fields:
        Submission.objects.filter(pk=submission.pk).update(**fields)
    _delete_on_commit(*gone)


def _ingest(submission: Submission, raw, size: int, filename: str, measures: dict, job: jobs.Job, kept) -> str:
    """Stream the file in (child rows stored as they are read, what is kept written to ``kept``),
    then check the aggregate rows against the plan, the locked periods and the stored values, and
    store them. Raises :class:`_Refused` to roll everything back."""
    version = settings.PSEUDONYM_KEY_VERSION
    # A dry run stores nothing, but where other uploads' child rows stand, its child rows are stored
    # for the check across uploads (stored_group_problems) and rolled back with the rest.
    stored = not submission.dry_run or _children_behind_current_values(submission)
    store = ingest.ChildCopy(submission, measures) if stored else None
    result = ingest.run(
        raw,
        filename=filename,
        size=size,
        measure_units={c: m.unit for c, m in measures.items()},
        aggregations={c: m.child_aggregation for c, m in measures.items()},
        key=settings.PSEUDONYM_KEYS.get(version, ""),
        version=version,
        store=store,
        progress=job.fraction,
        chunk_rows=INGEST_CHUNK_ROWS,
        kept=kept,
    )
    if result.problems:
        raise _Refused(Submission.Status.REJECTED, errors=[p.as_dict() for p in result.problems], row_count=0)
    rows = result.rows
    job.progress(88, "Checking the values")
    evaluation = submission.evaluation
    current = _current_values(evaluation, rows)
    plan = evaluation_selectors.plan_current(partner=evaluation.partner, evaluation=evaluation)  # read once
    problems = (
        outside_plan_problems(plan, rows)
        + locked_period_problems(evaluation, rows)
        + period_length_problems(rows, current)
        + group_total_problems(plan, rows, current, measures)
    )
    if result.child_count:  # the file's child rows, stored in this transaction
        problems += stored_group_problems(submission, rows, measures)
    if problems:
        problems.sort(key=lambda p: p.row)
        raise _Refused(Submission.Status.REJECTED, errors=[p.as_dict() for p in problems], row_count=0)
    warnings = change_warnings(rows, current)
    changes = compare(rows, current)
    if submission.dry_run:
        raise _Refused(Submission.Status.CHECKED, warnings=warnings, changes=changes, row_count=len(rows), errors=[])
    if warnings and not submission.explanation:
        raise _Refused(Submission.Status.NEEDS_EXPLANATION, warnings=warnings, changes=changes, row_count=len(rows))
    job.progress(92, "Storing the values")
    _lock_evaluation(evaluation)
    # Checked again under the lock: a period may have been approved, or another upload stored,
    # since the check above.
    problems = locked_period_problems(evaluation, rows)
    if problems:
        raise _Refused(Submission.Status.REJECTED, errors=[p.as_dict() for p in problems], row_count=0)
    newer = _newer_upload(submission, rows)
    if newer is not None:
        raise _Refused(Submission.Status.SUPERSEDED, superseded_by=newer, changes=changes, errors=[])
    current = _current_values(evaluation, rows)
    changes = compare(rows, current)
    _store(submission, rows, current, measures)
    _supersede_pending(submission, rows)
    _answer_queries_by_upload(submission, rows)
    evaluation_services.milestone_data_stored(evaluation=evaluation, actor=submission.uploaded_by)
    return _finish(submission, Submission.Status.ACCEPTED, warnings=warnings, changes=changes, row_count=len(rows), errors=[])


def _newer_upload(submission: Submission, rows: list[OutcomeRow]) -> Submission | None:
    """A later upload whose values for any of these periods are stored: an upload processed late
    (explained after a correction was stored, say) never overwrites a later one."""
    value = (
        OutcomeValue.objects.filter(
            partner=submission.partner_id,
            evaluation=submission.evaluation_id,
            is_current=True,
            submission__gt=submission.pk,
            period_start__in={r.period_start for r in rows},
        )
        .select_related("submission")
        .order_by("-submission")
        .first()
    )
    return value.submission if value is not None else None


def _supersede_pending(submission: Submission, rows: list[OutcomeRow]) -> None:
    """Close the earlier uploads still waiting (for an explanation, or to be stored after a dry run)
    that cover any period just stored: they can no longer be explained or stored."""
    periods = {r.period_start.isoformat() for r in rows}
    pending = Submission.objects.filter(
        partner=submission.partner_id, evaluation=submission.evaluation_id, pk__lt=submission.pk, status__in=Submission.PENDING
    )
    for earlier in pending:
        if not earlier.period_starts & periods:
            continue
        closed = Submission.objects.filter(pk=earlier.pk, status=earlier.status).update(
            status=Submission.Status.SUPERSEDED,
            stage=Submission.Status.SUPERSEDED.label,
            superseded_by=submission,
            kept="",
            finished_at=timezone.now(),
        )
        if closed:
            _delete_on_commit(earlier.kept.name)
        audit_record(
            actor=submission.uploaded_by,
            partner=submission.partner,
            action="submission.superseded",
            obj=earlier,
            changes={"superseded_by": str(submission.code)},
        )


def _answer_queries_by_upload(submission: Submission, rows: list[OutcomeRow]) -> None:
    """Storing a period again answers the practice team's open query on it: the asker hears of it."""
    queries = PeriodQuery.objects.filter(
        partner=submission.partner_id,
        evaluation=submission.evaluation_id,
        answered_at__isnull=True,
        period_start__in={r.period_start for r in rows},
    ).select_related("asked_by")
    for query in queries:
        audited_update(
            query,
            {"answer_submission": submission, "answered_by": submission.uploaded_by, "answered_at": timezone.now()},
            actor=submission.uploaded_by,
            partner=submission.partner,
            action="period.query_answer",
            quiet=("answered_at",),
            also_record={"period_start": query.period_start, "by_upload": str(submission.code)},
        )
        notify(
            recipients=[query.asked_by],
            template="period_query_answered",
            context={"query": query, "evaluation": submission.evaluation, "partner": submission.partner, "by_upload": True},
            link=reverse("outcomes:practice_periods", args=[submission.evaluation.code]),
            partner=submission.partner,
        )


def _wait_for_explanation(submission: Submission, **fields) -> str:
    Submission.objects.filter(pk=submission.pk).update(
        status=Submission.Status.NEEDS_EXPLANATION, progress=60, stage="Waiting for your explanation", **fields
    )
    audit_record(
        actor=submission.uploaded_by,
        partner=submission.partner,
        action="submission.needs_explanation",
        obj=submission,
        changes={"warnings": len(fields["warnings"])},
    )
    announce_evaluation_changed(partner_id=submission.partner_id, evaluation_id=submission.evaluation_id, what="upload")
    # The uploader must explain it before it is stored; the practice team knows it is waiting.
    context = {"submission": submission, "evaluation": submission.evaluation, "partner": submission.partner,
               "warnings": len(fields["warnings"])}  # fmt: skip
    notify(
        recipients=[submission.uploaded_by], template="submission_needs_explanation", context=context,
        link=reverse("outcomes:submission", args=[submission.partner.slug, submission.code]), partner=submission.partner,
    )  # fmt: skip
    notify(
        recipients=practice_data_team(), template="submission_needs_explanation_practice", context=context,
        link=reverse("reports:practice_evaluation_uploads", args=[submission.evaluation.code]), partner=submission.partner,
    )  # fmt: skip
    return Submission.Status.NEEDS_EXPLANATION


def _lock_evaluation(evaluation) -> None:
    """Uploads, approvals and unlocks of one evaluation's data happen one at a time."""
    advisory_lock(f"outcomes.upload:{evaluation.pk}")


Key = tuple[str, str, date]


def _current_values(evaluation, rows: list[OutcomeRow]) -> dict[str, list[OutcomeValue]]:
    """The current stored values of the measures in ``rows``, by measure code, oldest period first."""
    codes = {r.measure for r in rows}
    values = (
        OutcomeValue.objects.filter(
            partner=evaluation.partner_id, evaluation=evaluation, is_current=True, measure__code__in=codes
        )
        .select_related("measure")
        .order_by("period_start")
    )
    found: dict[str, list[OutcomeValue]] = defaultdict(list)
    for value in values:
        found[value.measure.code].append(value)
    return found


def _by_key(current: dict[str, list[OutcomeValue]]) -> dict[Key, OutcomeValue]:
    return {(code, v.group, v.period_start): v for code, values in current.items() for v in values}


def _number(value) -> str:
    return "" if value is None else format(Decimal(value).normalize(), "f")


def compare(rows: list[OutcomeRow], current: dict[str, list[OutcomeValue]]) -> list[dict]:
    """What storing ``rows`` changes: each row is new, changed (with old and new) or unchanged."""
    stored = _by_key(current)
    changes = []
    for row in rows:
        old = stored.get((row.measure, row.group, row.period_start))
        new = {"value": _number(row.value), "numerator": _number(row.numerator), "denominator": _number(row.denominator)}
        entry = {
            "measure": row.measure,
            "group": row.group,
            "period_start": row.period_start.isoformat(),
            "period_end": row.period_end.isoformat(),
            "new": new,
        }
        if old is None:
            entry.update(kind="new", old=None)
        else:
            before = {"value": _number(old.value), "numerator": _number(old.numerator), "denominator": _number(old.denominator)}
            same = before == new and old.period_end == row.period_end
            entry.update(kind="unchanged" if same else "changed", old=before)
        changes.append(entry)
    return changes


def change_warnings(rows: list[OutcomeRow], current: dict[str, list[OutcomeValue]]) -> list[dict]:
    """What the uploader must explain before ``rows`` are stored:

    - ``unusual_change``: a value 5 times or more, or less than a fifth of, the same measure and
      group's previous period: the previous period in this file if it supplies it, else the stored
      one (a previous value of 0, or a period not estimable, gives no ratio and no warning);
    - ``counts_dropped``: a row without the numerator and denominator the stored value of its
      period had."""
    stored = _by_key(current)
    # Each measure and group's periods as they will be once the file is stored: the file's rows
    # in place of the stored values of the periods it supplies.
    series: dict[tuple[str, str], dict[date, tuple]] = defaultdict(dict)
    for key, value in stored.items():
        series[key[:2]][key[2]] = (value.value, None)
    for row in rows:
        series[(row.measure, row.group)][row.period_start] = (row.value, row.row)
    warnings = []

    def warn(row: OutcomeRow, kind: str, previous_start: date, previous_value, reason: str) -> None:
        warnings.append(
            {
                "kind": kind,
                "row": row.row,
                "measure": row.measure,
                "group": row.group,
                "period_start": row.period_start.isoformat(),
                "value": _number(row.value),
                "previous_period_start": previous_start.isoformat(),
                "previous_value": _number(previous_value),
                "reason": reason,
            }
        )

    for row in rows:
        old = stored.get((row.measure, row.group, row.period_start))
        if (
            old is not None
            and (old.numerator, old.denominator) != (None, None)
            and (row.numerator, row.denominator) == (None, None)
        ):
            warn(
                row,
                "counts_dropped",
                row.period_start,
                old.value,
                f"The stored value of this period has a numerator and denominator ({_number(old.numerator)} out of "
                f"{_number(old.denominator)}); this row has none, so they would be lost. Add them to the row, or explain.",
            )
        timeline = series[(row.measure, row.group)]
        earlier = [start for start in timeline if start < row.period_start]
        if row.value is None or not earlier:
            continue
        previous_start = max(earlier)
        previous, line = timeline[previous_start]
        if previous is None or previous <= 0:
            continue
        if row.value >= previous * WARNING_RATIO or row.value * WARNING_RATIO < previous:
            where = f"row {line} of this file" if line is not None else "stored"
            warn(
                row,
                "unusual_change",
                previous_start,
                previous,
                f"{_number(row.value)} is very different from {_number(previous)} in the previous period "
                f"({previous_start:%d/%m/%Y}, {where}).",
            )
    return warnings


def outside_plan_problems(plan, rows: list[OutcomeRow]) -> list[Problem]:
    """Periods outside the evaluation plan's baseline-to-follow-up span (once the plan gives one)."""
    if plan is None or not (plan.baseline_start and plan.follow_up_end):
        return []
    first, last = plan.baseline_start, plan.follow_up_end
    return [
        Problem(
            r.row,
            "period_start" if r.period_start < first else "period_end",
            f"{(r.period_start if r.period_start < first else r.period_end):%d/%m/%Y}",
            f"This period is outside the evaluation plan (version {plan.version}), which runs from "
            f"{first:%d/%m/%Y} to {last:%d/%m/%Y}. Change the plan first if the data should be included.",
        )
        for r in rows
        if r.period_start < first or r.period_end > last
    ]


def _kept_stored(rows: list[OutcomeRow], current: dict[str, list[OutcomeValue]]) -> list[OutcomeValue]:
    """The stored values that ``rows`` leave in place (those of the same measure, group and period are replaced)."""
    replaced = {(r.measure, r.group, r.period_start) for r in rows}
    return [v for code, values in current.items() for v in values if (code, v.group, v.period_start) not in replaced]


def period_length_problems(rows: list[OutcomeRow], current: dict[str, list[OutcomeValue]]) -> list[Problem]:
    """One period length per measure within an evaluation: a row whose period is longer or shorter
    than the measure's stored periods (or its first row in the file) is refused."""
    established: dict[str, tuple[str, str]] = {}  # measure -> (length, where it was set)
    for value in _kept_stored(rows, current):
        established.setdefault(value.measure.code, (period_length(value.period_start, value.period_end), "its stored values"))
    problems = []
    for row in rows:
        length = period_length(row.period_start, row.period_end)
        expected, where = established.setdefault(row.measure, (length, f"row {row.row}"))
        if length != expected:
            problems.append(
                Problem(
                    row.row,
                    "period_end",
                    f"{row.period_end:%d/%m/%Y}",
                    f"This period is {length}, but {row.measure}'s periods in this evaluation are {expected} each "
                    f"({where}). Send each measure for periods of one length.",
                )
            )
    return problems


# What says how many children a group's value stands for, by unit: the count itself, or the counts
# behind a percentage, rate or mean.
GROUP_SIZES = {"count": ("value",), "percentage": ("numerator", "denominator"), "rate_10k": ("numerator", "denominator"),
               "days": ("denominator",)}  # fmt: skip
SIZE_WORDS = {"value": "a count", "numerator": "a numerator", "denominator": "a denominator"}


def group_total_problems(plan, rows: list[OutcomeRow], current: dict[str, list[OutcomeValue]], measures: dict) -> list[Problem]:
    """ "all" includes every child: it cannot be smaller than the intervention or the comparison
    group, nor, where the plan says no child is in both, smaller than the two together. Checked on
    the file's rows with the stored values they leave in place; refused at a row of the file."""
    exclusive = bool(plan and plan.groups_exclusive)
    periods: dict[tuple, dict[str, tuple]] = defaultdict(dict)  # (measure, start) -> group -> (row or None, sizes)
    for value in _kept_stored(rows, current):
        periods[(value.measure.code, value.period_start)][value.group] = (None, value)
    for row in rows:
        periods[(row.measure, row.period_start)][row.group] = (row.row, row)
    problems = []
    for (code, start), groups in periods.items():
        if "all" not in groups or not (rows_in_file := [line for line, _ in groups.values() if line is not None]):
            continue
        all_line, total = groups["all"]
        at = all_line if all_line is not None else min(rows_in_file)
        for name in GROUP_SIZES.get(measures[code].unit if code in measures else "", ()):
            size = getattr(total, name)
            parts = {g: getattr(groups[g][1], name) for g in ("intervention", "comparison") if g in groups}
            parts = {g: v for g, v in parts.items() if v is not None}
            if size is None or not parts:
                continue
            where = {g: f"row {groups[g][0]}" if groups[g][0] is not None else "stored" for g in parts}
            larger = [g for g, v in parts.items() if v > size]
            if larger:
                g = larger[0]
                problems.append(
                    Problem(
                        at, name, _number(size),
                        f"“all” has {SIZE_WORDS[name]} of {_number(size)}, less than the {g} group's {_number(parts[g])} "
                        f"({where[g]}) for {start:%d/%m/%Y}. “all” includes every child, so it cannot be smaller: check both.",
                    )
                )  # fmt: skip
            elif exclusive and len(parts) == 2 and sum(parts.values()) > size:
                problems.append(
                    Problem(
                        at, name, _number(size),
                        f"“all” has {SIZE_WORDS[name]} of {_number(size)}, less than intervention plus comparison "
                        f"({_number(parts['intervention'])} + {_number(parts['comparison'])}) for {start:%d/%m/%Y}, and the "
                        "plan says no child is in both groups. Check the three rows, or the plan.",
                    )
                )  # fmt: skip
    return problems


EXCLUSIVE_GROUPS = ("intervention", "comparison")


def _child_rows_behind(values, submission: Submission):
    """``values`` (outcome values) that other uploads' child rows of their measure, group and period stand behind."""
    return values.exclude(submission=submission.pk).filter(
        Exists(
            ChildRecord.objects.filter(
                partner=submission.partner_id,
                evaluation=submission.evaluation_id,
                measure=OuterRef("measure"),
                period_start=OuterRef("period_start"),
                group=OuterRef("group"),
                submission=OuterRef("submission"),
            )
        )
    )


def _children_behind_current_values(submission: Submission) -> bool:
    """Whether any current intervention or comparison value of the evaluation comes from child rows."""
    current = OutcomeValue.objects.filter(
        partner=submission.partner_id, evaluation=submission.evaluation_id, is_current=True, group__in=EXCLUSIVE_GROUPS
    )
    return _child_rows_behind(current, submission).exists()


def stored_group_problems(submission: Submission, rows: list[OutcomeRow], measures: dict) -> list[Problem]:
    """A child is in at most one of intervention and comparison in a period across uploads too: the
    child rows of this submission (stored in the caller's transaction) against those behind the
    current values of other uploads that the file leaves in place (within a file,
    ``outcomes.parsing.ExclusiveGroups`` checks it as the file is read). Pseudonyms are compared
    under one key version. Two reads: the other uploads' values with child rows in the file's
    periods (usually none: nothing more is read), then the children both have. A dry run is checked
    so too, its child rows stored and rolled back, where any such values stand."""
    starts = sorted({r.period_start for r in rows if r.group in EXCLUSIVE_GROUPS})
    if not starts:
        return []
    replaced = {(measures[r.measure].pk, r.group, r.period_start) for r in rows}
    current = OutcomeValue.objects.filter(
        partner=submission.partner_id,
        evaluation=submission.evaluation_id,
        is_current=True,
        period_start__in=starts,
        group__in=EXCLUSIVE_GROUPS,
    )
    others = [
        key
        for key in _child_rows_behind(current, submission).values_list("submission_id", "measure_id", "group", "period_start")
        if key[1:] not in replaced
    ]
    if not others:
        return []
    submissions, measure_ids, groups, periods = (list(column) for column in zip(*others))
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT mine.period_start, mine."group", other.submission_id, count(DISTINCT mine.child_digest)
            FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::date[])
                 AS kept (submission_id, measure_id, "group", period_start)
            JOIN outcomes_childrecord other
              ON other.partner_id = %s AND other.evaluation_id = %s AND other.submission_id = kept.submission_id
             AND other.measure_id = kept.measure_id AND other."group" = kept."group" AND other.period_start = kept.period_start
            JOIN outcomes_childrecord mine
              ON mine.partner_id = %s AND mine.evaluation_id = %s AND mine.submission_id = %s
             AND mine.child_digest = other.child_digest AND mine.key_version = other.key_version
             AND mine.period_start = other.period_start AND mine."group" IN ('intervention', 'comparison')
             AND mine."group" <> other."group"
            GROUP BY 1, 2, 3
            ORDER BY 1, 2, 3
            """,
            [submissions, measure_ids, groups, periods, submission.partner_id, submission.evaluation_id]
            + [submission.partner_id, submission.evaluation_id, submission.pk],
        )
        found = cursor.fetchall()
    if not found:
        return []
    names = dict(
        Submission.objects.filter(partner=submission.partner_id, pk__in={row[2] for row in found}).values_list("pk", "filename")
    )
    first_rows = {}
    for r in rows:
        first_rows.setdefault((r.period_start, r.group), r.row)
    problems = []
    for start, group, other, children in found:
        other_group = EXCLUSIVE_GROUPS[1 - EXCLUSIVE_GROUPS.index(group)]
        who = "1 child" if children == 1 else f"{children:,} children"
        problems.append(
            Problem(
                first_rows.get((start, group), 0),
                "group",
                group,
                f"{who} in this file's {group} group for the period starting {start:%d/%m/%Y} "
                f"{'is' if children == 1 else 'are'} in the {other_group} group of the stored upload "
                f"{names.get(other, 'another upload')}. A child belongs to one of the two groups in a period: "
                "correct the group, or upload that period's rows of both groups again in one file.",
            )
        )
    return problems


def locked_period_problems(evaluation, rows: list[OutcomeRow]) -> list[Problem]:
    locked = dict(
        PeriodApproval.objects.filter(
            partner=evaluation.partner_id,
            evaluation=evaluation,
            unlocked_at__isnull=True,
            period_start__in={r.period_start for r in rows},
        ).values_list("period_start", "approved_at")
    )
    return [
        Problem(
            r.row,
            "period_start",
            f"{r.period_start:%d/%m/%Y}",
            f"The practice team approved this period's data on {timezone.localtime(locked[r.period_start]):%d/%m/%Y}, "
            "so it is locked. Ask the practice team to unlock it if it must change.",
        )
        for r in rows
        if r.period_start in locked
    ]


def _store_chunk(values: list[OutcomeValue]) -> list[OutcomeValue]:
    return OutcomeValue.objects.bulk_create(values)


def _store(submission: Submission, rows: list[OutcomeRow], current: dict[str, list[OutcomeValue]], measures) -> None:
    """Supersede the current values of the rows' keys and write the rows. The caller's transaction
    makes it all or nothing."""
    stored = _by_key(current)
    keys = [(r.measure, r.group, r.period_start) for r in rows]
    replaced = {key: stored[key] for key in keys if key in stored}
    OutcomeValue.objects.filter(pk__in=[v.pk for v in replaced.values()]).update(is_current=False)
    created: list[OutcomeValue] = []
    new = [
        OutcomeValue(
            partner=submission.partner,
            evaluation=submission.evaluation,
            submission=submission,
            measure=measures[r.measure],
            period_start=r.period_start,
            period_end=r.period_end,
            group=r.group,
            value=r.value,
            numerator=r.numerator,
            denominator=r.denominator,
        )
        for r in rows
    ]
    for start in range(0, len(new), STORE_CHUNK):
        created.extend(_store_chunk(new[start : start + STORE_CHUNK]))
    by_key = {(v.measure.code, v.group, v.period_start): v for v in created}
    for key, old in replaced.items():
        OutcomeValue.objects.filter(pk=old.pk).update(superseded_by=by_key[key])


# --- approval of periods ------------------------------------------------------------------------------


def _practice_team(actor: User) -> None:
    # Reviewers are practice-team members who see only the applications they review.
    if actor.practice_role not in (User.PracticeRole.PRACTICE_ADMIN, User.PracticeRole.ANALYST):
        raise PermissionDenied("Only the practice team's admins and analysts can approve outcome data.")


@transaction.atomic
def period_approve(*, actor: User, evaluation, period_start: date) -> PeriodApproval:
    """The practice team approves one period's data for an evaluation, which locks it."""
    _practice_team(actor)
    _lock_evaluation(evaluation)
    if not OutcomeValue.objects.filter(
        partner_id=evaluation.partner_id, evaluation=evaluation, period_start=period_start, is_current=True
    ).exists():
        raise ValidationError({"period_start": "There is no data for this period to approve."})
    if PeriodQuery.objects.filter(
        partner_id=evaluation.partner_id, evaluation=evaluation, period_start=period_start, answered_at__isnull=True
    ).exists():
        raise ValidationError(
            {"period_start": f"The period starting {period_start:%d/%m/%Y} has a query the partner has not answered yet."}
        )
    standing = PeriodApproval.objects.filter(
        partner_id=evaluation.partner_id, evaluation=evaluation, period_start=period_start, unlocked_at__isnull=True
    ).first()
    if standing is not None:
        return standing
    approval = PeriodApproval(
        partner_id=evaluation.partner_id, evaluation=evaluation, period_start=period_start, approved_by=actor
    )
    audited_create(
        approval, actor=actor, partner=evaluation.partner, action="period.approve", changes={"period_start": period_start}
    )
    announce_evaluation_changed(partner_id=evaluation.partner_id, evaluation_id=evaluation.pk, what="approval")
    return approval


@transaction.atomic
def period_unlock(*, actor: User, evaluation, period_start: date, reason: str) -> PeriodApproval:
    """A practice admin unlocks an approved period, giving a reason. The approval is kept."""
    if actor.practice_role != User.PracticeRole.PRACTICE_ADMIN:
        raise PermissionDenied("Only a practice admin can unlock approved data.")
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Give the reason for unlocking this period."})
    _lock_evaluation(evaluation)
    approval = PeriodApproval.objects.filter(
        partner_id=evaluation.partner_id, evaluation=evaluation, period_start=period_start, unlocked_at__isnull=True
    ).first()
    if approval is None:
        raise ValidationError({"period_start": "This period is not locked."})
    unlock = {"unlocked_by": actor, "unlocked_at": timezone.now(), "unlock_reason": reason[:2000]}
    audited_update(
        approval,
        unlock,
        actor=actor,
        partner=evaluation.partner,
        action="period.unlock",
        quiet=tuple(unlock),
        also_record={"period_start": period_start, "reason": unlock["unlock_reason"]},
    )
    announce_evaluation_changed(partner_id=evaluation.partner_id, evaluation_id=evaluation.pk, what="approval")
    return approval
