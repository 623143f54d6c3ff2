import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pine.settings")
application = get_wsgi_application()
# Import the URLconf, and so every view, now rather than in the first request each worker serves
# (Django imports it lazily): under gunicorn's preload_app that is once, in the master, before it
# forks the workers (gunicorn.conf.py).
get_resolver().url_patterns  # noqa: B018 - read for its import
