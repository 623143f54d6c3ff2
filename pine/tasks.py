from celery import shared_task
from django.core.cache import cache
from django.utils import timezone


@shared_task
def heartbeat() -> str:
    """Run by beat every minute; /healthz can tell that beat and a worker are alive."""
    now = timezone.now().isoformat()
    cache.set("pine:heartbeat", now, timeout=600)
    return now
