"""System checks of PINE's own settings (``manage.py check --deploy`` runs the deploy ones)."""

from django.conf import settings
from django.core import checks

MIN_PSEUDONYM_KEY_LENGTH = 16


def pseudonym_key_missing() -> str | None:
    """Why child references could not be pseudonymised now, or None."""
    version = settings.PSEUDONYM_KEY_VERSION
    if not settings.PSEUDONYM_KEYS.get(version):
        return f"PSEUDONYM_KEYS has no key for PSEUDONYM_KEY_VERSION={version!r}: child references cannot be pseudonymised."
    return None


@checks.register(checks.Tags.security, deploy=True)
def check_pseudonym_key(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """A deployment needs a pseudonym key of its own: without one the first child-level upload fails;
    with the development key (or a short one) the pseudonyms protect nothing."""
    problem = pseudonym_key_missing()
    key = settings.PSEUDONYM_KEYS.get(settings.PSEUDONYM_KEY_VERSION, "")
    if problem is None and key == settings.DEVELOPMENT_PSEUDONYM_KEY:
        problem = "PSEUDONYM_KEYS holds the development key: anyone who reads this code can reverse the pseudonyms."
    elif problem is None and len(key) < MIN_PSEUDONYM_KEY_LENGTH:
        problem = f"The pseudonym key is shorter than {MIN_PSEUDONYM_KEY_LENGTH} characters."
    if problem is None:
        return []
    return [
        checks.Error(
            problem, hint="Set PSEUDONYM_KEYS=v1=<a long random string>, e.g. from `openssl rand -hex 32`.", id="pine.E001"
        )
    ]
