"""Production settings: `manage.py check --deploy` is clean with production variables set."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "pine.settings",
    "SECRET_KEY": "a-production-secret-key-that-is-long-and-random-enough-0123456789",
    "DEBUG": "0",
    "ALLOWED_HOSTS": "pine.example.org",
    "PSEUDONYM_KEYS": "v1=a-production-pseudonym-key",
}


def test_check_deploy_is_clean_with_production_variables():
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DEBUG", "SECURE_SSL_REDIRECT", "SECURE_COOKIES", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    env.update(PRODUCTION)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    "keys", [{}, {"v1": "development-only-pseudonym-key"}, {"v1": "short"}, {"v2": "a-long-key-of-another-version"}]
)
def test_check_deploy_refuses_a_missing_development_or_short_pseudonym_key(settings, keys):
    settings.PSEUDONYM_KEYS = keys
    errors = [m for m in checks.run_checks(include_deployment_checks=True) if m.id == "pine.E001"]
    assert len(errors) == 1 and errors[0].level == checks.ERROR


def test_a_good_pseudonym_key_passes_the_check(settings):
    settings.PSEUDONYM_KEYS = {"v1": "a-production-pseudonym-key"}
    assert not [m for m in checks.run_checks(include_deployment_checks=True) if m.id == "pine.E001"]


def test_a_worker_does_not_start_without_a_pseudonym_key(settings):
    from pine.celery import refuse_to_start_without_a_pseudonym_key

    settings.PSEUDONYM_KEYS = {}
    with pytest.raises(ImproperlyConfigured, match="PSEUDONYM_KEYS"):
        refuse_to_start_without_a_pseudonym_key()
    settings.PSEUDONYM_KEYS = {"v1": "a-production-pseudonym-key"}
    refuse_to_start_without_a_pseudonym_key()  # starts
