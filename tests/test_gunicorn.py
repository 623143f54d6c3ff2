"""gunicorn.conf.py: the web process's settings, as the image and bench/web.py use them."""

import os
import runpy
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_master_imports_the_app_before_it_forks_the_workers():
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert settings["preload_app"] is True
    assert settings["worker_class"] == "sync"


def test_importing_the_app_imports_the_views_opens_no_connection_and_starts_no_thread():
    # What the master does before it forks (preload_app): nothing it leaves open may be shared.
    check = (
        "import sys, threading\n"
        "import pine.wsgi\n"
        "assert 'pine.urls' in sys.modules and 'outcomes.api' in sys.modules, 'the views are not imported yet'\n"
        "from django.db import connections\n"
        "assert all(connection.connection is None for connection in connections.all()), 'a database connection'\n"
        "assert threading.active_count() == 1, threading.enumerate()\n"
        "print('clean')\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    result = subprocess.run([sys.executable, "-c", check], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("clean")


def test_the_master_freezes_the_imported_app_out_of_full_collections_before_each_fork():
    import gc

    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    try:
        settings["pre_fork"](server=None, worker=None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
