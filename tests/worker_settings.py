"""Settings of a Celery worker that a test runs as a process of its own (``tests/workers.py``): the
test run's settings on the test's database, Redis database, key prefix and queue, which the test
passes in ``PINE_TEST_*`` variables.

With ``PINE_TEST_SLOW`` set (seconds), each chunk of an import (ten rows) and the drawing of a
report's charts take that much longer, so that a test can kill the worker half-way through. With
``PINE_TEST_DIES`` set, the worker kills itself (SIGKILL) at an import's first chunk, as one that
runs out of memory. These are test-only hooks, loaded only by this settings module: product code
has none.
"""

import os
import signal
import time

from celery.signals import task_prerun

os.environ["PYTEST_XDIST_WORKER"] = ""  # the test passes its own Redis database and key prefix
from tests.settings import *  # noqa: E402,F403

DATABASES["default"]["NAME"] = os.environ["PINE_TEST_DATABASE"]  # noqa: F405
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_DEFAULT_QUEUE = os.environ["PINE_TEST_QUEUE"]
if os.environ.get("PINE_TEST_KEY_PREFIX"):
    CACHES["default"]["KEY_PREFIX"] = os.environ["PINE_TEST_KEY_PREFIX"]  # noqa: F405
    CELERY_BROKER_TRANSPORT_OPTIONS = {  # noqa: F405
        **CELERY_BROKER_TRANSPORT_OPTIONS,  # noqa: F405
        "global_keyprefix": f"{os.environ['PINE_TEST_KEY_PREFIX']}:",
    }

SLOW = float(os.environ.get("PINE_TEST_SLOW", "0"))
DIES = bool(os.environ.get("PINE_TEST_DIES"))
_slowed = []


@task_prerun.connect
def _die_in_imports(**kwargs):
    if not DIES:
        return
    from outcomes import ingest

    def die(self, children):
        os.kill(os.getpid(), signal.SIGKILL)

    ingest.ChildCopy.__call__ = die


@task_prerun.connect
def _slow_down(**kwargs):
    """Slow the worker's imports and reports down, once per process, before its first task."""
    if not SLOW or _slowed:
        return
    from outcomes import ingest, services
    from reports import documents

    services.INGEST_CHUNK_ROWS = 10
    copy, charts = ingest.ChildCopy.__call__, documents.chart_images

    def slow_copy(self, children):
        time.sleep(SLOW)
        return copy(self, children)

    def slow_charts(figures, image_format, **options):
        time.sleep(SLOW)
        return charts(figures, image_format, **options)

    ingest.ChildCopy.__call__ = slow_copy
    documents.chart_images = slow_charts
    _slowed.append(True)
