import smtplib

from celery import shared_task
from django.core.mail import EmailMessage


@shared_task(bind=True)
def heartbeat(self) -> str:
    """Queued by beat every minute and run by a worker: /healthz and the status page read what it
    records to tell that both are alive (pine.health)."""
    from pine.health import heartbeat_record

    return heartbeat_record(worker=self.request.hostname or "")


@shared_task(
    acks_late=True,
    autoretry_for=(OSError, smtplib.SMTPException),
    retry_backoff=30,
    retry_backoff_max=30 * 60,
    retry_jitter=True,
    max_retries=8,
    time_limit=120,
    soft_time_limit=100,
)
def send_email(to: list[str], subject: str, body: str, attachments: list | tuple = ()) -> int:
    """Send one rendered email (``pine.notifications.email_after_commit`` queues it once the
    transaction commits). Only text in: attachments are (filename, text content, mimetype). A mail
    server that is down or refuses is tried again, up to 8 times with growing waits (at most half an
    hour each)."""
    message = EmailMessage(subject=subject, body=body, to=list(to))
    for filename, content, mimetype in attachments:
        message.attach(filename, content, mimetype)
    return message.send()
