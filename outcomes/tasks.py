"""Celery tasks: thin. An id in; the service re-fetches the row and sets the scope from it."""

from celery import shared_task
from django.db import OperationalError

from outcomes import services


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=5,
    retry_backoff_max=120,
    max_retries=5,
)
def process_submission(submission_id: int) -> str:
    return services.submission_process(submission_id=submission_id)
