"""Celery tasks of the cohorts app: thin, each calls a service."""

from celery import shared_task
from django.db import OperationalError

from cohorts.services import events, reminders


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=30, max_retries=5)
def send_deadline_reminders() -> int:
    """Daily (Celery beat): remind partners of application deadlines 7 days and 1 day away."""
    return reminders.application_deadline_reminders_send()


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=30, max_retries=5)
def send_event_reminders() -> int:
    """Daily (Celery beat): remind people registered for events that start tomorrow (UK date), once each."""
    return events.event_reminders_send()
