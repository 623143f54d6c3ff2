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

from pine.settings import *  # noqa: E402,F403

WHITENOISE_USE_FINDERS = True
