"""What every benchmark sets up: a fresh REVERIE_HOME and its environment, a database, migrations,
a gunicorn server on a free port, and worker subprocesses.

This is the parent side and imports no Django: a benchmark runs Django only in child processes
(`manage.py migrate`, gunicorn, its own worker scripts), each pointed at a REVERIE_HOME of the
benchmark's own, so a run never touches the operator's data nor another run's. A worker script calls
`setup_django()` first.

    home = harness.fresh_home(tmp, "run")                  # or a copy of harness.migrated_template(tmp)
    database = harness.Database(os.environ.get("DATABASE_URL"))
    database.create()                                      # PostgreSQL only; SQLite lives in `home`
    env = harness.child_env(home, database_url=database.url)
    harness.migrate(env)
    result = harness.worker(script, home, "seed", "--size", "10")  # the JSON the script wrote to --result
    with harness.Server(env, tmp / "server.log") as server:  # gunicorn, /healthz answered
        ...  # requests to server.url
    database.drop()
"""

import json
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Self
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
VENV = REPO / ".venv"
VENV_PYTHON = VENV / "bin" / "python"
GUNICORN = VENV / "bin" / "gunicorn"
SQLITE_NAME = "reverie.sqlite3"

# The server configuration `make run` uses.
WORKERS = 2
THREADS = 4
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", ""}


# --- The home and the environment ----------------------------------------------------------------------


def fresh_home(tmp: Path, name: str, template: Path | None = None) -> Path:
    """An empty REVERIE_HOME `tmp/name` (emptied if it exists), holding a copy of `template` if given."""
    home = tmp / name
    if home.exists():
        shutil.rmtree(home)
    home.mkdir(parents=True)
    if template is not None:
        shutil.copy(template, home / SQLITE_NAME)
    return home


def child_env(home: Path, *, database_url: str | None = None, extra: dict | None = None) -> dict:
    """The environment of a child process on `home`: this process's environment (ANTHROPIC_API_KEY,
    ANTHROPIC_BASE_URL, REVERIE_CLAUDE_* and the rest pass through), REVERIE_HOME, the settings module and
    the repository on PYTHONPATH, production mode; SQLite under `home` unless `database_url` names another
    database (a DATABASE_URL of this process is never used: benchmarks must not write to a configured
    database). Then `extra` on top: a value of None removes a variable."""
    env = dict(os.environ)
    env.update(REVERIE_HOME=str(home), REVERIE_SQLITE_PATH=str(home / SQLITE_NAME),
               DJANGO_SETTINGS_MODULE="console.settings", PYTHONPATH=str(REPO),
               LOG_LEVEL="WARNING", REVERIE_DEBUG="false")
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    for key, value in (extra or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = str(value)
    return env


def loopback_only() -> None:
    """Never send the benchmark's own requests to 127.0.0.1 through a proxy from the environment."""
    for name in ("NO_PROXY", "no_proxy"):
        os.environ[name] = ",".join(filter(None, [os.environ.get(name), "127.0.0.1", "localhost", "::1"]))


def ensure_venv() -> None:
    """Re-run under .venv/bin/python when started by another interpreter without the SDK."""
    try:
        import anthropic  # noqa: F401
        import django  # noqa: F401
    except ImportError:
        if VENV_PYTHON.exists() and Path(sys.prefix).resolve() != VENV.resolve():
            os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), *sys.argv])
        raise SystemExit("Run `make install` first: the benchmark needs the project's .venv.") from None


# --- The database -------------------------------------------------------------------------------------


class Database:
    """SQLite under REVERIE_HOME, or a uniquely named database on DATABASE_URL's PostgreSQL server.

    `create()` makes the PostgreSQL database (nothing to do for SQLite), `url` is then what to give
    `child_env`, and `drop()` removes it again."""

    def __init__(self, base_url: str | None):
        self.base_url = base_url or None
        self.url = None
        self.name = None
        self.created = False
        self.server_version = None

    @property
    def vendor(self) -> str:
        return "postgresql" if self.base_url else "sqlite"

    def create(self) -> None:
        if not self.base_url:
            return
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("postgres", "postgresql", "pgsql"):
            raise SystemExit(
                f"DATABASE_URL: the benchmark supports SQLite (unset) and PostgreSQL, not {parts.scheme!r}."
            )
        if (parts.hostname or "") not in LOOPBACK_HOSTS:
            raise SystemExit("DATABASE_URL: the benchmark only talks to a database on 127.0.0.1.")
        self.name = f"reverie_bench_{os.getpid()}_{secrets.token_hex(3)}"
        self.url = urlunsplit(parts._replace(path="/" + self.name))
        with self._admin_connection() as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
            self.created = True
            self.server_version = conn.execute("SHOW server_version").fetchone()[0]

    def _admin_connection(self):
        """A connection to the server (DATABASE_URL's database, else `postgres`) to create and drop in."""
        import psycopg

        parts = urlsplit(self.base_url)
        try:
            return psycopg.connect(self.base_url, autocommit=True, connect_timeout=10)
        except psycopg.OperationalError:
            return psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True, connect_timeout=10)

    def drop(self) -> None:
        if not self.created:
            return
        with self._admin_connection() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self.created = False

    def describe(self) -> str:
        if self.vendor == "postgresql":
            return f"PostgreSQL {self.server_version}"
        return f"SQLite {sqlite3.sqlite_version} (WAL)"


def migrate(env: dict, *, timeout: float = 600) -> None:
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=REPO, env=env, check=True,
                   timeout=timeout)


def migrated_template(tmp: Path) -> Path:
    """Migrate one SQLite database under `tmp/template`; runs start from copies of it (`fresh_home`),
    which costs a file copy instead of a migration each."""
    home = fresh_home(tmp, "template")
    migrate(child_env(home))
    return home / SQLITE_NAME


# --- Child processes ----------------------------------------------------------------------------------


def run_script(script: Path | str, *args: str, env: dict, timeout: float | None = None) -> None:
    """Run a Python script of the benchmarks in the repository; raises if it fails."""
    subprocess.run([sys.executable, str(script), *args], cwd=REPO, env=env, check=True, timeout=timeout)


def worker(script: Path | str, home: Path, *args: str, env: dict | None = None, database_url: str | None = None,
           timeout: float | None = None) -> dict:
    """Run one worker command (`script *args --result PATH`) on `home`; returns the JSON it wrote to PATH.

    The worker's environment is `child_env(home, database_url=..., extra=env)`. Its output is captured and
    shown (the end of stderr) only when it fails."""
    out = home / f"worker-{args[0]}.json"
    out.unlink(missing_ok=True)
    done = subprocess.run([sys.executable, str(script), *args, "--result", str(out)], cwd=REPO,
                          env=child_env(home, database_url=database_url, extra=env), timeout=timeout,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"worker {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return json.loads(out.read_text())


def setup_django() -> None:
    """The worker side: set Django up in this process, on the REVERIE_HOME the parent gave."""
    import django

    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
    django.setup()


# --- The server ---------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn console.wsgi as `make run` starts it, on a free 127.0.0.1 port; `start()` returns once
    /healthz answers. Also a context manager (start, then stop)."""

    def __init__(self, env: dict, log_path: Path, *, workers: int = WORKERS, threads: int = THREADS):
        self.env = env
        self.log_path = log_path
        self.workers = workers
        self.threads = threads
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self, *, timeout: float = 60) -> None:
        command = [str(GUNICORN), "console.wsgi", "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers),
                   "--threads", str(self.threads), "--graceful-timeout", "10", "--log-level", "warning"]
        self.log = open(self.log_path, "ab")  # noqa: SIM115 (open while the server runs; closed in stop)
        # Its own session, so Ctrl-C reaches only the benchmark, which then stops the server.
        self.process = subprocess.Popen(
            command, cwd=REPO, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        raise SystemExit(f"gunicorn did not answer /healthz within {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # the group this server started
                self.process.wait(timeout=5)
        try:
            os.killpg(self.process.pid, signal.SIGKILL)  # any worker left behind in the server's own group
        except (ProcessLookupError, PermissionError):
            pass
        self.log.close()
        self.process = None

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""
