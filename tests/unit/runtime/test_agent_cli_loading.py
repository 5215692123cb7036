"""``tapewire agent NAME``: how a name finds its AgentSpec or SourceSpec."""

from __future__ import annotations

import pytest
from streams.agents.running_totals import AGENT
from streams.cli.agent import load_spec
from streams.cli.main import build_parser, main
from streams.errors import ConfigError


def test_a_module_name_in_streams_agents() -> None:
    assert load_spec("running_totals") is AGENT


def test_a_module_and_attribute_path() -> None:
    assert load_spec("streams.agents.running_totals:AGENT") is AGENT


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("no_such_agent", "no agent module"),
        ("streams.settings:Settings", "not an AgentSpec or SourceSpec"),
        ("streams.agents.running_totals:MISSING", "not an AgentSpec or SourceSpec"),
    ],
)
def test_bad_names_are_configuration_errors(name: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        load_spec(name)


def test_the_command_line_options() -> None:
    args = build_parser().parse_args(
        ["agent", "running_totals", "--host", "bulk", "--group", "g", "--topic-prefix", "p-"]
    )
    assert (args.name, args.host, args.group, args.topic_prefix) == (
        "running_totals",
        "bulk",
        "g",
        "p-",
    )
    assert args.metrics_port is None


def test_an_unknown_agent_exits_with_a_configuration_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["agent", "no_such_agent"]) == 2
    assert "no agent module" in capsys.readouterr().err
