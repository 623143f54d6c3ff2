import os

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pine.settings")

app = Celery("pine")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def refuse_to_start_without_a_pseudonym_key(**kwargs) -> None:
    """A worker that cannot pseudonymise would fail on the first child-level upload: it does not start."""
    from django.core.exceptions import ImproperlyConfigured

    from pine.checks import pseudonym_key_missing

    problem = pseudonym_key_missing()
    if problem:
        raise ImproperlyConfigured(problem)
