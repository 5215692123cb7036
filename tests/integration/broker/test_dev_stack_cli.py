"""`tapewire dev up|status|down`: detached processes, idempotent, stops only its own."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from streams.cli.main import main
from streams.dev.broker import EmbeddedBroker, broker_answers
from streams.dev.process import PidRecord, free_port
from streams.dev.stack import EmbeddedStack
from streams.errors import StackError


@pytest.fixture
def dev_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmbeddedStack]:
    """Settings for `tapewire dev` pointing at a private data dir and free ports."""
    broker_port, postgres_port = free_port(), free_port()
    monkeypatch.setenv("TAPEWIRE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TAPEWIRE_BROKER_PORT", str(broker_port))
    monkeypatch.setenv("TAPEWIRE_POSTGRES_PORT", str(postgres_port))
    stack = EmbeddedStack(tmp_path / "data", broker_port, postgres_port)
    try:
        yield stack
    finally:
        stack.stop()


def test_up_status_down(dev_env: EmbeddedStack, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dev", "up"]) == 0
    out = capsys.readouterr().out
    assert f"TAPEWIRE_BOOTSTRAP_SERVERS={dev_env.bootstrap_servers}" in out
    assert f"TAPEWIRE_DATABASE_URL={dev_env.database_url}" in out
    status = dev_env.status()
    assert status.up
    pids = (status.broker.pid, status.postgres.pid)

    assert main(["dev", "up"]) == 0  # idempotent: the same processes keep running
    capsys.readouterr()
    assert (dev_env.status().broker.pid, dev_env.status().postgres.pid) == pids
    with psycopg.connect(dev_env.database_url) as conn:
        assert conn.execute("SELECT current_user, current_database()").fetchone() == (
            "tapewire",
            "tapewire",
        )
    assert main(["dev", "status"]) == 0
    assert "answering" in capsys.readouterr().out

    assert main(["dev", "down"]) == 0
    assert "stopped: postgres, broker" in capsys.readouterr().out
    assert not broker_answers(dev_env.bootstrap_servers, timeout=0.5)
    assert main(["dev", "status"]) == 1
    assert main(["dev", "down"]) == 0
    assert "nothing of ours was running" in capsys.readouterr().out


def test_port_in_use_is_a_one_line_error(
    dev_env: EmbeddedStack, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", dev_env.broker.port))
        squatter.listen()

        assert main(["dev", "up"]) == 1

    err = capsys.readouterr().err.strip()
    assert err == (
        f"tapewire: StackError: broker port {dev_env.broker.port} is already in use on 127.0.0.1"
    )
    assert not dev_env.status().postgres.running


def test_a_failed_database_start_leaves_no_broker_behind(dev_env: EmbeddedStack) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", dev_env.postgres.port))
        squatter.listen()

        with pytest.raises(StackError, match=r"^postgres port \d+ is already in use"):
            dev_env.start()

    assert not dev_env.status().broker.running
    assert not broker_answers(dev_env.bootstrap_servers, timeout=0.5)


def test_stop_never_signals_a_process_that_reused_the_pid(tmp_path: Path) -> None:
    broker = EmbeddedBroker(tmp_path, free_port())
    record = broker.start()
    try:
        stale = PidRecord(record.pid, record.create_time - 100.0, record.executable, record.port)
        stale.write(broker.pid_file)

        assert broker.stop() is False  # the recorded process "is not ours": left alone
        assert broker.answers()
    finally:
        record.write(broker.pid_file)
        broker.stop()
    assert not broker.answers(0.5)


def test_a_second_stack_on_other_ports_is_refused_while_one_runs(tmp_path: Path) -> None:
    broker = EmbeddedBroker(tmp_path, free_port())
    broker.start()
    try:
        with pytest.raises(StackError, match="already runs on port"):
            EmbeddedBroker(tmp_path, free_port()).start()
    finally:
        broker.stop()
