"""Process bookkeeping for the embedded stack: pid records, identity checks, ports.

A component started by the stack is recorded in ``<data_dir>/<name>.pid`` as JSON with its
pid, the process creation time and the executable name. Before anything signals a recorded
pid it checks that the process still is the one it started (same creation time, same
executable), so a recycled pid is never killed.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

from streams.errors import StackError


@dataclass(frozen=True, slots=True)
class PidRecord:
    """What the stack remembers about a process it started."""

    pid: int
    create_time: float
    executable: str
    port: int

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self)), encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def read(cls, path: Path) -> PidRecord | None:
        """The record in ``path``, or None when absent or unreadable (a stale, partial file)."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(
                pid=int(data["pid"]),
                create_time=float(data["create_time"]),
                executable=str(data["executable"]),
                port=int(data["port"]),
            )
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            return None

    @classmethod
    def running(cls, path: Path) -> PidRecord | None:
        """The record in ``path`` if the process it names still runs, else None."""
        record = cls.read(path)
        if record is None or record.process() is None:
            return None
        return record

    def require_port(self, port: int, what: str) -> None:
        """Refuse to reuse a running ``what`` that listens on another port than asked."""
        if self.port != port:
            raise StackError(
                f"the embedded {what} already runs on port {self.port} "
                f"(pid {self.pid}), not {port}: run `tapewire dev down` first"
            )

    @classmethod
    def of(cls, pid: int, port: int) -> PidRecord:
        """A record describing the live process ``pid``."""
        try:
            proc = psutil.Process(pid)
            return cls(pid=pid, create_time=proc.create_time(), executable=proc.name(), port=port)
        except psutil.Error as exc:
            raise StackError(f"process {pid} vanished right after it started") from exc

    def process(self) -> psutil.Process | None:
        """The live process this record describes, or None if it is gone or the pid was reused."""
        try:
            proc = psutil.Process(self.pid)
            if abs(proc.create_time() - self.create_time) > 0.05 or proc.name() != self.executable:
                return None
            if proc.status() == psutil.STATUS_ZOMBIE:
                return None
        except psutil.Error:
            return None
        return proc


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """True if something already listens on (or holds) ``host:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def terminate(
    proc: psutil.Process,
    timeout: float = 10.0,
    first: signal.Signals = signal.SIGTERM,
    then: signal.Signals = signal.SIGKILL,
) -> None:
    """Send ``first``, then ``then`` after ``timeout`` s; returns once the process is gone.

    Raises ``psutil.TimeoutExpired`` if it outlives both signals.
    """
    with contextlib.suppress(psutil.NoSuchProcess):
        proc.send_signal(first)
        try:
            proc.wait(timeout)
        except psutil.TimeoutExpired:
            proc.send_signal(then)
            proc.wait(timeout)


def spawn_detached(argv: list[str], log_file: Path) -> int:
    """Start ``argv`` in its own session with stdout+stderr appended to ``log_file``; its pid.

    ``posix_spawn`` rather than ``subprocess.Popen``: the process must outlive this one, and
    a Popen object dropped while its child runs warns (ResourceWarning) when collected.
    """
    log_file.parent.mkdir(parents=True, exist_ok=True)
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, str(log_file), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644),
        (os.POSIX_SPAWN_DUP2, 1, 2),
    ]
    try:
        return os.posix_spawn(argv[0], argv, dict(os.environ), file_actions=actions, setsid=True)
    except OSError as exc:
        raise StackError(f"cannot start {argv[0]}: {exc.strerror}") from exc


def exit_code(pid: int) -> int | None:
    """The exit code of our child ``pid`` if it has exited (reaping it), else None.

    A pid that is not our child (or already reaped) counts as exited with code -1 when it no
    longer exists, and as running otherwise.
    """
    try:
        done, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return None if psutil.pid_exists(pid) else -1
    if done == 0:
        return None
    return os.waitstatus_to_exitcode(status)


def reap_if_child(pid: int) -> None:
    """Collect the exit status of ``pid`` if it is our child, so it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def tail(path: Path, lines: int = 5) -> str:
    """The last ``lines`` non-empty lines of a log file joined by `` | `` (one-line errors)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""
    kept = [line.strip() for line in text.splitlines() if line.strip()]
    return " | ".join(kept[-lines:])


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.1) -> bool:
    """Poll ``predicate()`` until it is true or ``timeout`` seconds pass; the last result."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
