"""Production settings: `manage.py check --deploy` is clean with production variables set."""

import os
import subprocess
import sys
from pathlib import Path

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
