"""Celery tasks: thin, each calls a service."""

from evaluations import services
from pine import jobs


@jobs.task
def send_milestone_reminders() -> int:
    """Daily (Celery beat): tell partners and the practice team about overdue milestones."""
    return jobs.across_partners(services.milestone_reminders_send)
