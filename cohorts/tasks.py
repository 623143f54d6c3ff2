"""Celery tasks of the cohorts app: thin, each calls a service."""

from cohorts.services import applications, events, reminders
from pine import jobs


@jobs.task
def send_deadline_reminders() -> int:
    """Daily (Celery beat): remind partners of application deadlines 7 days and 1 day away."""
    return jobs.across_partners(reminders.application_deadline_reminders_send)


@jobs.task
def send_event_reminders() -> int:
    """Daily (Celery beat): remind people registered for events that start tomorrow (UK date), once each."""
    return jobs.across_partners(events.event_reminders_send)


@jobs.task
def close_calls_at_deadline() -> int:
    """Every few minutes (Celery beat): close each open call whose deadline has passed (it moves to
    reviewing) and tell the partners with drafts. A call already closed is left alone."""
    return jobs.across_partners(applications.cohorts_close_at_deadline)
