"""Runs agents as child processes (``tapewire agent <name>``) and stops them cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from streams.errors import StackError


@dataclass
class AgentProcess:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    log: IO[bytes] = field(repr=False)

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def tail(self, lines: int = 15) -> str:
        self.log.flush()
        text = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        return "\n".join(text[-lines:])


class Supervisor:
    """Starts agents, watches that they keep running, stops them with SIGTERM (then SIGKILL)."""

    def __init__(self, log_dir: Path) -> None:
        self._log_dir = log_dir
        self._agents: list[AgentProcess] = []

    @property
    def agents(self) -> Sequence[AgentProcess]:
        return tuple(self._agents)

    def start(self, name: str, env: Mapping[str, str]) -> AgentProcess:
        self._log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self._log_dir / f"{name}.log"
        log = log_path.open("wb")
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and CLI
            [sys.executable, "-m", "streams.cli.main", "agent", name],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env),
            start_new_session=True,
        )
        agent = AgentProcess(name=name, process=process, log_path=log_path, log=log)
        self._agents.append(agent)
        return agent

    def check(self) -> None:
        """Raise with the agent's last log lines when one has exited."""
        for agent in self._agents:
            if not agent.alive:
                raise StackError(
                    f"agent {agent.name} exited with code {agent.process.returncode}; "
                    f"last lines of {agent.log_path}:\n{agent.tail()}"
                )

    def stop(self, timeout: float = 20.0) -> dict[str, int | None]:
        """SIGTERM every agent (feed first), wait, SIGKILL what is left; exit codes by name."""
        for agent in reversed(self._agents):
            if agent.alive:
                os.killpg(agent.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        codes: dict[str, int | None] = {}
        for agent in self._agents:
            remaining = max(0.1, deadline - time.monotonic())
            try:
                codes[agent.name] = agent.process.wait(remaining)
            except subprocess.TimeoutExpired:
                os.killpg(agent.process.pid, signal.SIGKILL)
                agent.process.wait(5)
                codes[agent.name] = None
            agent.log.close()
        return codes
