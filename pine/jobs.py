"""Plumbing for rows that a Celery task works on (reports, submissions): the task is given only the
row's id, learns the partner from the row, and records its progress on it."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from pine.tenancy import partner_scope, practice_scope


def stale_before() -> datetime:
    """A row still "running" since before this was left by a worker that died."""
    return timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)


def partner_of(model: type[models.Model], pk: int) -> int | None:
    """The partner of a tenant row, read in the practice scope: the task then works in its scope."""
    with transaction.atomic(), practice_scope():
        return model._default_manager.filter(pk=pk).values_list("partner_id", flat=True).first()


def update_row(model: type[models.Model], pk: int, partner_id: int, **fields) -> int:
    """Update one row in its own short transaction (progress is seen while the work goes on)."""
    with transaction.atomic(), partner_scope(partner_id):
        return model._default_manager.filter(pk=pk).update(**fields)
