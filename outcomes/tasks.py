"""Celery tasks: thin. An id in; the service re-fetches the row and sets the scope from it."""

from outcomes import services
from pine import jobs


@jobs.task
def process_submission(submission_id: int) -> str:
    return services.submission_process(submission_id=submission_id)
