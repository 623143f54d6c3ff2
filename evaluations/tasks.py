"""Celery tasks: thin, each calls a service."""

from celery import shared_task

from evaluations import services


@shared_task(autoretry_for=(OSError,), retry_backoff=30, max_retries=5)
def send_milestone_reminders() -> int:
    """Daily (Celery beat): tell partners and the practice team about overdue milestones."""
    return services.milestone_reminders_send()
