"""One runner for every job a Celery worker does on a row (a report build, an upload), and one set
of task options for every task.

A job's row has ``code``, ``partner``, ``status`` (queued, running, ..., failed), ``progress``,
``stage``, ``started_at`` and ``finished_at``. A service queues the row and sends its task with
:func:`enqueue`; the task is given only the row's id. :func:`run_job` learns the partner from the
row, takes the row's lock (a PostgreSQL advisory lock held by the worker's session, so it goes when
the worker dies), claims the row atomically (queued, or running with nobody holding its lock
because its worker died → running), runs the work in that partner's scope with its progress
written from a thread of its own (so with a connection of its own: the page sees it while the
work's transaction is still open), hands the row back to the queue on a database error (the task
is retried) and marks it failed, with a reason, on anything else. A claimed row is worked on
once: a duplicated or retried task finds nothing to claim while a live worker holds it.

Nothing is lost when a worker dies or the broker is away: :func:`resume` sends again every row
still queued or left running without a worker; each app's tasks run it when a worker starts and
beat runs it every few minutes. A row whose worker died is taken over at most
:data:`MAX_TAKEOVERS` times (each one is in the audit trail): a job that keeps killing its worker
(out of memory, say) then ends failed, saying so, instead of killing workers for ever.

Periodic work over every partner's rows (reminders) runs through :func:`across_partners`.
"""

import errno
import logging
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from typing import TypeVar

import psycopg
from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, models, transaction
from django.db.models import Q
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from pine.audit import audit_record
from pine.models import AuditEvent
from pine.tenancy import partner_scope, practice_scope

logger = logging.getLogger(__name__)

QUEUED, RUNNING, FAILED = "queued", "running", "failed"
PROGRESS_SECONDS = 2.0  # the longest a running job's progress goes unwritten

# The database going away (a restart, a cut connection, a full disk), as Django reports it and as
# the driver does to code that uses its cursor directly (an import's COPY).
DATABASE_AWAY = (OperationalError, InterfaceError, psycopg.OperationalError, psycopg.InterfaceError)

# Every task: acknowledged only when done (a worker that dies hands it to another), time limits,
# and bounded retries with backoff when the database is away. Anything else is the job's failure.
TASK_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": DATABASE_AWAY,
    "retry_backoff": 5,
    "retry_backoff_max": 120,
    "retry_jitter": True,
    "max_retries": 5,
    "time_limit": settings.CELERY_TASK_TIME_LIMIT,
    "soft_time_limit": settings.CELERY_TASK_SOFT_TIME_LIMIT,
}


def task(func):
    """A Celery task with the shared options (``@jobs.task``)."""
    return shared_task(**TASK_OPTIONS)(func)


T = TypeVar("T")


def across_partners(work: Callable[[], T]) -> T:
    """Periodic work over every partner's rows (reminders), in one transaction in the practice
    scope: a retried run sees what the first one claimed."""
    with transaction.atomic(), practice_scope():
        return work()


def enqueue(task, pk: int) -> None:
    """Send ``task(pk)`` to the workers once this transaction has committed. If the broker cannot
    be reached the row stays queued (the page says it is waiting for a worker) and :func:`resume`
    sends it when the broker is back; the request that queued it is not failed for it."""

    def send() -> None:
        try:
            task.delay(pk)
        except BrokerError:
            logger.warning("The broker is unreachable: %s(%s) stays queued until a worker resumes it", task.name, pk)

    transaction.on_commit(send)


def resume(model: type[models.Model], task) -> int:
    """Send ``task`` again for every row no worker has: queued rows (the broker may have been away
    when they were queued, or lost them) and running rows whose lock nobody holds (their worker
    died). A row whose task is in fact still waiting in the broker is claimed once all the same.
    Returns how many were sent."""
    with transaction.atomic(), practice_scope():
        rows = list(model._default_manager.filter(status__in=(QUEUED, RUNNING)).values_list("pk", "status"))
    sent = 0
    for pk, status in rows:
        if status == RUNNING:
            lock = RowLock(model, pk)
            if not lock.take():
                continue  # a live worker is on it
            lock.release()
        task.delay(pk)
        sent += 1
    return sent


# Why a job failed, in words its page can show, for failures that are not a bug of ours.
OUT_OF_SPACE = "no space was left on the server's disk"

# How many times a row whose worker died is taken over by another; when its worker dies once more
# it fails. Two: a worker killed by chance (a deployment, a lost machine) is survived twice over.
MAX_TAKEOVERS = 2
TAKEOVER = "job.takeover"


def workers_lost(times: int) -> str:
    return f"its worker stopped {times} times before it was done (it may need more memory or time than the server has)"


def failure_cause(error: BaseException) -> str:
    """What people can be told of why a job failed ("" when it was a bug: the log has it)."""
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return OUT_OF_SPACE
    return ""


class RowLock:
    """The row's session-level advisory lock: held by the worker on the row from before its claim
    to after its last write, and released by PostgreSQL when the worker's connection ends, so a
    running row whose lock is free was left by a worker that died."""

    def __init__(self, model: type[models.Model], pk: int):
        self.name = f"pine.jobs:{model._meta.label_lower}:{pk}"

    def take(self) -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", [self.name])
            return cursor.fetchone()[0]

    def release(self) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", [self.name])
        except DATABASE_AWAY:
            pass  # the connection is gone, and the lock with it


class Job:
    """The row a worker is working on: its id, its partner, and its progress."""

    def __init__(self, model: type[models.Model], pk: int, partner_id: int):
        self.model, self.pk, self.partner_id = model, pk, partner_id
        self.percent, self.stage = 5, ""
        self._written: tuple | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._write_progress, name=f"job-progress-{pk}", daemon=True)

    @contextmanager
    def atomic(self):
        """A transaction in the row's partner's scope."""
        with transaction.atomic(), partner_scope(self.partner_id):
            yield

    def update(self, **fields) -> int:
        """Write fields of the row now, in a short transaction of its own."""
        with self.atomic():
            return self.model._default_manager.filter(pk=self.pk).update(**fields)

    def progress(self, percent: float, stage: str | None = None) -> None:
        """Record how far the work is (5 to 99; only forward); the writer thread stores it."""
        self.percent = max(self.percent, min(int(percent), 99))
        if stage:
            self.stage = stage[:200]

    def fraction(self, done: float, *, low: int = 5, high: int = 85) -> None:
        """Progress as the fraction ``done`` of the span from ``low`` to ``high`` percent."""
        self.progress(low + (high - low) * done)

    def _write_progress(self) -> None:
        from django.db import connection  # this thread's own connection

        try:
            last = 0.0
            while not self._stop.wait(0.25):
                state = (self.percent, self.stage)
                if state != self._written or time.monotonic() - last >= PROGRESS_SECONDS:
                    try:
                        self._store_progress(*state)
                    except DATABASE_AWAY:
                        # The database went away: the work will find out too; try again next time.
                        logger.warning("Could not record the progress of %s %s", self.model.__name__, self.pk)
                        connection.close()
                        continue
                    self._written, last = state, time.monotonic()
        finally:
            connection.close()

    def _store_progress(self, percent: int, stage: str) -> None:
        with self.atomic():
            # Only while running: never over the finished row's last word.
            self.model._default_manager.filter(pk=self.pk, status=RUNNING).update(progress=percent, stage=stage)

    def __enter__(self) -> "Job":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def partner_of(model: type[models.Model], pk: int) -> int | None:
    """The partner of a job's row, read in the practice scope: the work then runs in its scope."""
    with transaction.atomic(), practice_scope():
        return model._default_manager.filter(pk=pk).values_list("partner_id", flat=True).first()


def run_job(
    model: type[models.Model],
    pk: int,
    work: Callable[[Job], str],
    *,
    first_stage: str,
    failure: Callable[[str], dict],
    discard: Callable[[int], None] | None = None,
) -> str:
    """Take the row's lock, claim the row and run ``work(job)``, which returns the row's final
    status (and writes it). Returns "missing", "skipped" (a live worker has the row, or nothing is
    left to do), the work's status, or "failed": the row then holds ``failure(cause)``'s fields,
    the reason people see, where ``cause`` is :func:`failure_cause`'s words or "". ``discard(pk)``
    runs in the transaction that marks the row failed, so a failed row never keeps what it held
    (its received files, say) even for a moment."""
    partner_id = partner_of(model, pk)
    if partner_id is None:
        return "missing"
    job, lock = Job(model, pk, partner_id), RowLock(model, pk)
    if not lock.take():
        return "skipped"
    try:
        with job.atomic():
            # Holding the lock, a running row is one whose worker died: it is taken over, a few times.
            row = model._default_manager.filter(pk=pk).only("status", "partner", "code").first()
            if row is not None and row.status == RUNNING and not _take_over(row):
                logger.error("%s %s failed: %s", model.__name__, pk, workers_lost(MAX_TAKEOVERS + 1))
                fields = failure(workers_lost(MAX_TAKEOVERS + 1))
                model._default_manager.filter(pk=pk).update(status=FAILED, finished_at=timezone.now(), **fields)
                if discard:
                    discard(pk)
                return FAILED
            claimed = model._default_manager.filter(Q(status=QUEUED) | Q(status=RUNNING), pk=pk).update(
                status=RUNNING, started_at=timezone.now(), finished_at=None, progress=5, stage=first_stage
            )
        if not claimed:
            return "skipped"
        job.stage = first_stage
        try:
            with job:
                return work(job)
        except DATABASE_AWAY:
            _requeue(job)
            raise  # the task is retried
        except Exception as error:
            logger.exception("%s %s failed", model.__name__, pk)
            with job.atomic():
                model._default_manager.filter(pk=pk).update(
                    status=FAILED, finished_at=timezone.now(), **failure(failure_cause(error))
                )
                if discard:
                    discard(pk)
            return FAILED
    finally:
        lock.release()


def _take_over(row: models.Model) -> bool:
    """Record a takeover of a row whose worker died, unless it has had :data:`MAX_TAKEOVERS`
    already (then False: it fails). The count is the audit trail's, so it outlives every worker."""
    earlier = AuditEvent.objects.filter(action=TAKEOVER, object_type=row._meta.label, object_code=str(row.code)).count()
    if earlier >= MAX_TAKEOVERS:
        return False
    audit_record(actor=None, partner=row.partner, action=TAKEOVER, obj=row, changes={"takeover": earlier + 1})
    logger.warning("%s %s: its worker died; taken over (%d of %d)", type(row).__name__, row.pk, earlier + 1, MAX_TAKEOVERS)
    return True


def _requeue(job: Job) -> None:
    """The database went away: hand the row back to the queue for the task's retry, on a new
    connection if this one broke. If the database is still away the row stays running with its
    lock gone, and the retry takes it over all the same."""
    if not connection.in_atomic_block:
        connection.close_if_unusable_or_obsolete()
    try:
        job.update(status=QUEUED, stage="Waiting to retry")
    except DATABASE_AWAY:
        logger.warning("Could not hand %s %s back to the queue; its retry will take it over", job.model.__name__, job.pk)
