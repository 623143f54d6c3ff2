"""Real Celery workers for tests of what happens when one dies: a worker is a process of its own
(``celery worker`` on ``tests.worker_settings``) on the test's database and a queue of the test's
own, which a test can SIGKILL; and a second connection to the test database, to hold a job's lock as
a live worker would or to cut the app's connections as a database restart would."""

import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import psycopg
from django.conf import settings
from django.db import connection, transaction

from pine import jobs
from pine.celery import app as celery_app
from pine.tenancy import practice_scope

ROOT = Path(__file__).resolve().parent.parent


def second_connection() -> psycopg.Connection:
    """A connection to the test database of its own (autocommit), outside Django."""
    db = connection.settings_dict
    return psycopg.connect(
        dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"] or None, host=db["HOST"] or None,
        port=db["PORT"] or None, autocommit=True,
    )  # fmt: skip


@contextmanager
def held_elsewhere(model, pk: int):
    """A live worker on the row, as far as the job runner can tell: another session holds its lock."""
    with second_connection() as other:
        other.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", [jobs.RowLock(model, pk).name])
        yield


def terminate_connections() -> int:
    """What a PostgreSQL restart does to the app: every other session of the test database ends."""
    with second_connection() as other:
        ended = other.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()[0]
    return ended


def row(model, pk: int, *fields: str) -> dict:
    """A job's row as the practice team sees it, read now."""
    with transaction.atomic(), practice_scope():
        return model.objects.filter(pk=pk).values(*fields).get()


def wait_for(predicate, *, timeout: float, what: str, worker=None):
    """Poll ``predicate()`` until it returns something true; fail saying ``what`` did not happen."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.1)
    log = f"\n--- worker log ---\n{worker.log()}" if worker else ""
    raise AssertionError(f"{what} within {timeout:.0f} s{log}")


class Worker:
    """``celery worker`` in a process (and process group) of its own, taking only ``queue``."""

    def __init__(self, queue: str, log_path: Path, *, pool: str = "solo", slow: float = 0.0, dies: bool = False):
        self.log_path = log_path
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.worker_settings",
            "PINE_TEST_DATABASE": connection.settings_dict["NAME"],
            "PINE_TEST_QUEUE": queue,
            "PINE_TEST_KEY_PREFIX": os.environ.get("PYTEST_XDIST_WORKER", ""),
            "PINE_TEST_SLOW": str(slow),
            "PINE_TEST_DIES": "1" if dies else "",
            "REDIS_URL": settings.REDIS_URL,
            # the same uploads folder as this test process: the worker reads the files it stored
            "UPLOADS_ROOT": str(settings.STORAGES["uploads"].get("OPTIONS", {}).get("location", "")),
        }
        env.pop("CELERY_BROKER_URL", None)
        command = [sys.executable, "-m", "celery", "-A", "pine", "worker", "--pool", pool, "--concurrency", "1"]
        command += ["-Q", queue, "-n", f"{uuid.uuid4().hex[:8]}@test", "-l", "INFO"]
        command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        with open(log_path, "ab") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def pool_children(self) -> list[int]:
        """The pool's processes (prefork), as the kernel lists the worker's children."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def kill(self) -> None:
        """SIGKILL the worker (the whole process group: its browser too), as a machine that dies."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)


@contextmanager
def queue_of_its_own():
    """Tasks the test sends go through Redis to a queue of the test's own (no eager mode)."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    saved = celery_app.conf.task_always_eager, celery_app.conf.task_default_queue
    celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = False, queue
    try:
        yield queue
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = saved
        with celery_app.connection_for_write() as broker:
            broker.default_channel.queue_purge(queue)  # a message the dead worker left is of no use
