"""The test run's settings: pine.settings itself, with test values for its environment variables.
Environments differ only by their variables; this file just supplies the test environment's."""

import os

TEST_ENVIRONMENT = {
    "SECRET_KEY": "test-only-secret-key",
    "DEBUG": "0",
    "SECURE_SSL_REDIRECT": "0",
    "SECURE_COOKIES": "0",
    "SITE_URL": "http://testserver",
    "PASSWORD_HASHERS": "django.contrib.auth.hashers.MD5PasswordHasher",
    "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
    "CELERY_TASK_ALWAYS_EAGER": "1",
    "PSEUDONYM_KEYS": "v1=test-pseudonym-key",
    "ALLOWED_HOSTS": "testserver,localhost,127.0.0.1",
    "LOG_LEVEL": "WARNING",
    "PINE_DEMO": "1",
}
for name, value in TEST_ENVIRONMENT.items():
    os.environ.setdefault(name, value)

# pytest-xdist runs the suite in several processes ("gw0", "gw1", ...). pytest-django gives each its
# own test database (test_pine_gw0, ...); here each gets its own Redis database too, and its own key
# prefix for the cache and the Celery broker, so a real worker in one process never takes a task,
# a cached value or a lock of another's.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if XDIST_WORKER:
    from urllib.parse import urlsplit, urlunsplit

    redis_url = urlsplit(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    base = int(redis_url.path.strip("/") or 0) if redis_url.scheme.startswith("redis") else 0
    database = (base + int(XDIST_WORKER.removeprefix("gw"))) % 16  # Redis has 16 databases by default
    os.environ["REDIS_URL"] = urlunsplit(redis_url._replace(path=f"/{database}"))

from pine.settings import *  # noqa: E402,F403

if XDIST_WORKER:
    CACHES["default"]["KEY_PREFIX"] = XDIST_WORKER  # noqa: F405
    # Added to the production options, never replacing them (their socket timeouts are under test).
    CELERY_BROKER_TRANSPORT_OPTIONS = {**CELERY_BROKER_TRANSPORT_OPTIONS, "global_keyprefix": f"{XDIST_WORKER}:"}  # noqa: F405

WHITENOISE_USE_FINDERS = True

# Uploaded files go to a temporary directory of this test session (of each xdist process), never
# into the repository; tests/conftest.py removes it at the end. (A benchmark sets UPLOADS_ROOT.)
if not UPLOADS_S3_BUCKET and "UPLOADS_ROOT" not in os.environ:  # noqa: F405
    import tempfile

    STORAGES["uploads"]["OPTIONS"]["location"] = tempfile.mkdtemp(prefix="pine-test-uploads-")  # noqa: F405
