"""Celery tasks: thin. An id in; the service re-fetches the row and sets the scope from it."""

from celery.signals import worker_ready

from outcomes import services
from outcomes.models import Submission
from pine import jobs


@jobs.task
def process_submission(submission_id: int) -> str:
    return services.submission_process(submission_id=submission_id)


@jobs.task
def resume_submissions() -> int:
    """Send again the uploads no worker has (beat, and each worker as it starts)."""
    return jobs.resume(Submission, process_submission)


@worker_ready.connect
def _resume_on_start(**kwargs):
    resume_submissions.delay()
