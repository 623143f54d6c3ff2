# syntax=docker/dockerfile:1
# One image for web (gunicorn, the default command), Celery worker and beat: see docker-compose.yml.
# Configured only by environment variables (pine/settings.py).
FROM python:3.11-slim-bookworm

# WeasyPrint: Pango and HarfBuzz's subsetter; plotly's kaleido: Chromium; and fonts for both
# (the slim image has none; Liberation Sans stands in for the Arial our stylesheet asks for).
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 libcairo2 chromium fonts-liberation \
 && rm -rf /var/lib/apt/lists/*

COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /bin/uv

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    BROWSER_PATH=/usr/bin/chromium \
    WEB_CONCURRENCY=2

WORKDIR /app

# Dependencies first, in their own layer: rebuilt only when the lock changes.
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen --no-dev

COPY . .
# The manifest of hashed static file names is built here, once; the key is a throwaway.
RUN DEBUG=0 SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput

RUN useradd --create-home --uid 10001 --user-group pine
USER pine

EXPOSE 8000
CMD ["gunicorn", "pine.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
