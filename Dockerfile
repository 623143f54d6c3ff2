# syntax=docker/dockerfile:1
# Two targets from one build (see docker-compose.yml), configured only by environment variables
# (pine/settings.py):
#   app     web (gunicorn, the default command) and beat;
#   worker  the Celery worker: the app plus Chromium, which only the worker needs (plotly's kaleido
#           draws the report's charts with it).
FROM python:3.11-slim-bookworm AS app

# WeasyPrint and the theory-of-change PNG: Pango, HarfBuzz's subsetter and Cairo; fonts (the slim
# image has none; Liberation Sans stands in for the Arial our stylesheet asks for).
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 libcairo2 fonts-liberation \
 && rm -rf /var/lib/apt/lists/*

COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /bin/uv

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    WEB_CONCURRENCY=2

WORKDIR /app

# Dependencies first, in their own layer: rebuilt only when the lock changes. No dev group: the
# embedded PostgreSQL and Redis of `make run` never reach the image.
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen --no-dev

COPY . .
# The manifest of hashed static file names is built here, once; the key is a throwaway.
RUN DEBUG=0 SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput

RUN useradd --create-home --uid 10001 --user-group pine
USER pine

EXPOSE 8000
# Workers, bind address and access log: gunicorn.conf.py (read from the working directory).
CMD ["gunicorn", "pine.wsgi:application"]

FROM app AS worker
USER root
RUN apt-get update \
 && apt-get install -y --no-install-recommends chromium \
 && rm -rf /var/lib/apt/lists/*
ENV BROWSER_PATH=/usr/bin/chromium
USER pine
CMD ["celery", "-A", "pine", "worker", "-l", "info"]
