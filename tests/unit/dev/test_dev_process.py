"""Process bookkeeping of the embedded stack: pid records, identity, ports, detached spawn."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import pytest
from streams.dev.process import (
    PidRecord,
    exit_code,
    free_port,
    port_in_use,
    spawn_detached,
    tail,
    wait_until,
)
from streams.errors import StackError


def test_pid_record_round_trips_and_identifies_its_process(tmp_path: Path) -> None:
    record = PidRecord.of(os.getpid(), 1234)
    path = tmp_path / "sub" / "me.pid"

    record.write(path)

    assert PidRecord.read(path) == record
    process = record.process()
    assert process is not None
    assert process.pid == os.getpid()


def test_a_reused_pid_is_not_mistaken_for_the_recorded_process() -> None:
    live = PidRecord.of(os.getpid(), 1)

    assert PidRecord(live.pid, live.create_time - 60, live.executable, 1).process() is None
    assert PidRecord(live.pid, live.create_time, "tansu-imposter", 1).process() is None


def test_missing_or_garbled_pid_files_read_as_nothing(tmp_path: Path) -> None:
    garbled = tmp_path / "x.pid"
    garbled.write_text('{"pid": "twelve"}', encoding="utf-8")

    assert PidRecord.read(tmp_path / "absent.pid") is None
    assert PidRecord.read(garbled) is None


def test_pid_record_of_a_vanished_process_is_a_stack_error() -> None:
    with pytest.raises(StackError, match="vanished"):
        PidRecord.of(2**22 + 12345, 1)  # above Linux's pid_max


def test_port_in_use_sees_a_listener_and_free_port_is_free() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        taken = listener.getsockname()[1]

        assert port_in_use(taken)
    assert not port_in_use(free_port())


def test_spawned_process_is_detached_logged_and_reaped(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "child.log"
    code = "import os, sys; print('sid', os.getsid(0) == os.getpid()); sys.exit(3)"

    pid = spawn_detached([sys.executable, "-c", code], log)

    codes: list[int] = []

    def exited() -> bool:
        code = exit_code(pid)
        if code is not None:
            codes.append(code)
        return code is not None

    assert wait_until(exited, 10.0)
    assert codes == [3]
    assert tail(log) == "sid True"
    assert exit_code(pid) == -1  # reaped, gone


def test_spawning_a_missing_binary_is_a_stack_error(tmp_path: Path) -> None:
    with pytest.raises(StackError, match="cannot start"):
        spawn_detached([str(tmp_path / "no-such-binary")], tmp_path / "x.log")


def test_tail_keeps_the_last_non_empty_lines(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_text("one\n\ntwo\nthree\n\n", encoding="utf-8")

    assert tail(log, 2) == "two | three"
    assert tail(tmp_path / "absent.log") == ""


def test_wait_until_gives_up_after_its_timeout() -> None:
    assert wait_until(lambda: True, 0.0)
    assert not wait_until(lambda: False, 0.05, interval=0.01)
