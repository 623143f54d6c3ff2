"""Celery tasks: thin. An id in; the service re-fetches the row and sets the scope from it."""

from celery.signals import worker_ready

from pine import jobs
from returns import services
from returns.models import ReturnImport


@jobs.task
def process_return_import(return_import_id: int) -> str:
    return services.return_import_process(return_import_id=return_import_id)


@jobs.task
def resume_return_imports() -> int:
    """Send again the imports no worker has (beat, and each worker as it starts)."""
    return jobs.resume(ReturnImport, process_return_import)


@worker_ready.connect
def _resume_on_start(**kwargs):
    resume_return_imports.delay()
