"""One runner for every job a Celery worker does on a row (a report build, an upload), and one set
of task options for every task.

A job's row has ``status`` (queued, running, ..., failed), ``progress``, ``stage``, ``started_at``
and ``finished_at``. The task is given only the row's id; :func:`run_job` learns the partner from
the row, claims it atomically (queued, or running past the time limit because its worker died →
running), runs the work in that partner's scope with its progress written from a thread of its own
(so with a connection of its own: the page sees it while the work's transaction is still open),
hands the row back to the queue on a database error (the task is retried) and marks it failed, with
a reason, on anything else. A claimed row is worked on once: a duplicated or retried task finds
nothing to claim.

Periodic work over every partner's rows (reminders) runs through :func:`across_partners`.
"""

import logging
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TypeVar

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError, models, transaction
from django.db.models import Q
from django.utils import timezone

from pine.tenancy import partner_scope, practice_scope

logger = logging.getLogger(__name__)

QUEUED, RUNNING, FAILED = "queued", "running", "failed"
PROGRESS_SECONDS = 2.0  # the longest a running job's progress goes unwritten

# Every task: acknowledged only when done (a worker that dies hands it to another), time limits,
# and bounded retries with backoff when the database is away. Anything else is the job's failure.
TASK_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (OperationalError, InterfaceError),
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


def stale_before() -> datetime:
    """A row still "running" since before this was left by a worker that died."""
    return timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)


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
                    self._store_progress(*state)
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


def run_job(model: type[models.Model], pk: int, work: Callable[[Job], str], *, first_stage: str, failure: dict) -> str:
    """Claim the row and run ``work(job)``, which returns the row's final status (and writes it).
    Returns "missing", "skipped" (nothing to claim), the work's status, or "failed" (the row then
    holds ``failure``'s fields: the reason people see)."""
    partner_id = partner_of(model, pk)
    if partner_id is None:
        return "missing"
    job = Job(model, pk, partner_id)
    with job.atomic():
        claimable = Q(status=QUEUED) | Q(status=RUNNING, started_at__lt=stale_before())
        claimed = model._default_manager.filter(claimable, pk=pk).update(
            status=RUNNING, started_at=timezone.now(), finished_at=None, progress=5, stage=first_stage
        )
    if not claimed:
        return "skipped"
    job.stage = first_stage
    try:
        with job:
            return work(job)
    except (OperationalError, InterfaceError):
        # The database went away: hand the row back to the queue; the task is retried.
        job.update(status=QUEUED, stage="Waiting to retry")
        raise
    except Exception:
        logger.exception("%s %s failed", model.__name__, pk)
        job.update(status=FAILED, finished_at=timezone.now(), **failure)
        return FAILED
