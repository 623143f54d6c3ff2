"""The service's health, for ``/healthz`` (JSON, for load balancers and monitors) and the status
page (for people). Fast: it asks the database and Redis one trivial question each and reads what
beat and the workers last recorded (``pine.tasks.heartbeat``), never a broadcast to the workers."""

from datetime import datetime, timedelta

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

HEARTBEAT_KEY = "pine:heartbeat"
# Beat queues the heartbeat every minute and a worker runs it: older than this, one of them is down.
HEARTBEAT_STALE = timedelta(minutes=3)


def heartbeat_record(*, worker: str) -> str:
    """What the heartbeat task leaves for the health check: when it ran, and on which worker."""
    now = timezone.now().isoformat()
    cache.set(HEARTBEAT_KEY, {"at": now, "worker": worker}, timeout=600)
    return now


def service_state() -> dict:
    """{"status": "ok" | "error", "database", "redis", "celery", "beat"}: the database and Redis
    must answer for the service to be up; workers and beat late or down is reported, not fatal
    (pages still work; background work waits)."""
    state = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        state["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - reported, not hidden
        state["database"] = f"error: {exc.__class__.__name__}"
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1).ping()
        state["redis"] = "ok"
    except Exception as exc:  # noqa: BLE001
        state["redis"] = f"error: {exc.__class__.__name__}"
    beat = None
    if state["redis"] == "ok":
        try:
            beat = cache.get(HEARTBEAT_KEY)
        except Exception as exc:  # noqa: BLE001
            state["beat"] = state["celery"] = f"error: {exc.__class__.__name__}"
    if isinstance(beat, str):  # recorded by an older worker: the time alone
        beat = {"at": beat, "worker": ""}
    if "beat" not in state:
        if beat:
            seen = datetime.fromisoformat(beat["at"])
            fresh = timezone.now() - seen <= HEARTBEAT_STALE
            state["beat"] = f"last heartbeat {beat['at']}"
            state["celery"] = f"ok (last seen {beat['worker'] or 'a worker'})" if fresh else f"no worker seen since {beat['at']}"
        else:
            state["beat"] = "no heartbeat yet"
            state["celery"] = "no workers" if state["redis"] == "ok" else "unknown (no broker)"
    healthy = state["database"] == "ok" and state["redis"] == "ok"
    return {"status": "ok" if healthy else "error", **state}
