"""gunicorn's settings for PINE's web process: read by gunicorn from the working directory (the
image's command, docker-compose's web) and by bench/web.py, so the benchmark serves the app as it is
deployed. Every value can be overridden by the environment (or on gunicorn's command line)."""

import os

# Sync workers, one request at a time each: PINE's requests are CPU work (the ORM, REST framework)
# with short waits on PostgreSQL. WEB_CONCURRENCY processes, 2 by default (as the image always ran).
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "sync"
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# The app is imported once, by the master, before it forks the workers: a worker (a new one too,
# after one was killed for its timeout) serves from the moment it starts, instead of importing the
# app itself first (about 10 s of CPU on a busy 2-core machine, while the other workers carry the
# load), and the workers share the imported code's memory. Importing the app opens no database
# connection and starts no thread, so the forked workers share neither (tests/test_gunicorn.py).
# A new release restarts the master (as a container does); SIGHUP alone would not load new code.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") == "1"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# Every request in the log, as the image always did (stdout; the container's log).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")


def pre_fork(server, worker):
    """The imported app lives as long as the worker: keep its objects out of the garbage collector's
    full passes, which otherwise walk all of them now and then in the middle of a request (a pause
    in the slowest requests), and leave their memory pages shared with the master."""
    import gc

    gc.freeze()
