"""Load a YAML strategy file into a :class:`~streams.strategy.rules.DslStrategy`.

The file is composed into YAML nodes (not plain dicts) so that every error can name the
line it comes from; expression errors add the column inside the expression and the
offending name. Nothing in the file is executed: expressions go through
:mod:`streams.strategy.dsl`. See docs/strategies.md for every key.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Final

import yaml
from yaml.nodes import Node, ScalarNode, SequenceNode

from streams.errors import ConfigError
from streams.indicators.registry import parse_spec
from streams.strategy.base import ALL_INSTRUMENTS, RateLimit, Side, TimeInForce
from streams.strategy.dsl import (
    CompiledExpression,
    CrossoverSlots,
    ValueType,
    Vocabulary,
)
from streams.strategy.dsl.names import RESERVED
from streams.strategy.errors import StrategyConfigError
from streams.strategy.rules import (
    AppliesTo,
    DslStrategy,
    EntryRule,
    ExitRule,
    RiskSize,
    StrategyBody,
)
from streams.strategy.yaml_nodes import YamlReader

_TOP_KEYS: Final = frozenset(
    {
        "name",
        "version",
        "description",
        "instruments",
        "indicators",
        "account",
        "interval_seconds",
        "capital",
        "lot_size",
        "tick_size",
        "max_position",
        "rate_limit",
        "entry",
        "exit",
    }
)
_ENTRY_KEYS: Final = frozenset(
    {"name", "when", "side", "quantity", "size", "limit", "time_in_force", "max_position"}
)
_EXIT_KEYS: Final = frozenset({"name", "when", "applies_to", "limit", "time_in_force"})
_SIZE_KEYS: Final = frozenset({"risk_fraction", "stop_distance"})
_RATE_KEYS: Final = frozenset({"max_intents", "window_seconds"})
_IDENTIFIER: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TIME_IN_FORCE: Final[dict[str, TimeInForce]] = {
    "GTC": "GTC",
    "IOC": "IOC",
    "FOK": "FOK",
    "DAY": "DAY",
}
_SIDES: Final[dict[str, Side]] = {"BUY": "BUY", "SELL": "SELL"}
_APPLIES: Final[dict[str, AppliesTo]] = {"long": "long", "short": "short", "any": "any"}
_NUMBER_TAGS: Final = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})


def load_strategy_file(path: Path) -> DslStrategy:
    """Read and compile one YAML strategy file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise StrategyConfigError("file", f"cannot read: {exc}", source=str(path)) from exc
    return parse_strategy_yaml(text, source=str(path))


def parse_strategy_yaml(text: str, *, source: str = "<string>") -> DslStrategy:
    """Compile the YAML text of a strategy; every error is a StrategyConfigError."""
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        content = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise StrategyConfigError(
            "yaml", f"invalid YAML: {exc.problem or exc.context}", source=source, line=line
        ) from exc
    except yaml.YAMLError as exc:
        raise StrategyConfigError("yaml", f"invalid YAML: {exc}", source=source) from exc
    finally:
        loader.dispose()
    if root is None:
        raise StrategyConfigError("yaml", "the file is empty", source=source)
    reader = YamlReader(source)
    top = reader.mapping(root, "", _TOP_KEYS)
    for required in ("name", "version", "instruments", "entry"):
        if required not in top:
            raise reader.error(root, required, f"missing required key {required!r}", name=required)
    fingerprint = json.dumps(content, sort_keys=True, default=str)
    return _build(reader, top, fingerprint)


def _build(reader: YamlReader, top: dict[str, Node], fingerprint: str) -> DslStrategy:
    name = reader.string(top["name"], "name")
    if not re.match(r"^[a-z][a-z0-9_]*$", name):
        raise reader.error(top["name"], "name", f"must be snake_case, got {name!r}", name=name)
    version = reader.integer(top["version"], "version", minimum=1)
    instruments = _instruments(reader, top["instruments"])
    account = reader.string(top["account"], "account") if "account" in top else "default"
    interval_seconds = (
        reader.integer(top["interval_seconds"], "interval_seconds", minimum=1)
        if "interval_seconds" in top
        else None
    )
    rate_limit = _rate_limit(reader, top.get("rate_limit"))
    indicators, outputs = _indicators(reader, top.get("indicators"))
    vocabulary = Vocabulary(outputs)
    slots = CrossoverSlots()
    lot_size = reader.decimal(top["lot_size"], "lot_size") if "lot_size" in top else Decimal(1)
    capital = reader.decimal(top["capital"], "capital") if "capital" in top else None
    default_max = (
        reader.decimal(top["max_position"], "max_position") if "max_position" in top else None
    )
    labels: set[str] = set()
    entries: list[EntryRule] = []
    for node, path in _rule_nodes(reader, top["entry"], "entry"):
        entry = _entry(
            reader,
            node,
            path=path,
            vocabulary=vocabulary,
            slots=slots,
            lot_size=lot_size,
            capital=capital,
            default_max=default_max,
        )
        _unique(reader, node, path, entry.label, labels)
        entries.append(entry)
    exits: list[ExitRule] = []
    for node, path in _rule_nodes(reader, top["exit"], "exit") if "exit" in top else []:
        exit_rule = _exit(reader, node, path, vocabulary, slots)
        _unique(reader, node, path, exit_rule.label, labels)
        exits.append(exit_rule)
    body = StrategyBody(
        entries=tuple(entries),
        exits=tuple(exits),
        outputs=outputs,
        crossovers=slots.count,
        capital=capital,
        lot_size=lot_size,
        tick_size=reader.decimal(top["tick_size"], "tick_size") if "tick_size" in top else None,
    )
    return DslStrategy(
        name=name,
        version=version,
        instruments=instruments,
        indicators=indicators,
        account=account,
        interval_seconds=interval_seconds,
        rate_limit=rate_limit,
        body=body,
        content=fingerprint,
        description=reader.string(top["description"], "description")
        if "description" in top
        else "",
    )


def _unique(reader: YamlReader, node: Node, path: str, label: str, seen: set[str]) -> None:
    if label in seen:
        raise reader.error(node, f"{path}.name", f"rule name {label!r} is used twice", name=label)
    seen.add(label)


def _instruments(reader: YamlReader, node: Node) -> tuple[str, ...]:
    if isinstance(node, ScalarNode) and node.value == ALL_INSTRUMENTS:
        return (ALL_INSTRUMENTS,)
    if not isinstance(node, SequenceNode) or not node.value:
        raise reader.error(node, "instruments", "must be a non-empty list of instruments or '*'")
    return tuple(
        reader.string(item, f"instruments[{index}]") for index, item in enumerate(node.value)
    )


def _indicators(
    reader: YamlReader, node: Node | None
) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    if node is None:
        return {}, {}
    specs: dict[str, str] = {}
    outputs: dict[str, tuple[str, ...]] = {}
    for alias, value in reader.mapping(node, "indicators", frozenset()).items():
        path = f"indicators.{alias}"
        if not _IDENTIFIER.match(alias) or alias in RESERVED:
            raise reader.error(
                value, path, f"{alias!r} cannot be an alias (reserved or not a name)", name=alias
            )
        text = reader.string(value, path)
        try:
            spec = parse_spec(text)
        except ConfigError as exc:
            raise reader.error(value, path, str(exc), name=alias) from exc
        specs[alias] = spec.text
        outputs[alias] = spec.outputs
    return specs, outputs


def _rule_nodes(reader: YamlReader, node: Node, kind: str) -> list[tuple[Node, str]]:
    if isinstance(node, SequenceNode):
        if not node.value:
            raise reader.error(node, kind, "needs at least one rule")
        return [(item, f"{kind}[{index}]") for index, item in enumerate(node.value)]
    return [(node, kind)]


def _label(reader: YamlReader, rule: dict[str, Node], path: str) -> str:
    if "name" in rule:
        label = reader.string(rule["name"], f"{path}.name")
        if not _IDENTIFIER.match(label):
            raise reader.error(rule["name"], f"{path}.name", "must be a name", name=label)
        return label
    return path


def _entry(
    reader: YamlReader,
    node: Node,
    *,
    path: str,
    vocabulary: Vocabulary,
    slots: CrossoverSlots,
    lot_size: Decimal,
    capital: Decimal | None,
    default_max: Decimal | None,
) -> EntryRule:
    rule = reader.mapping(node, path, _ENTRY_KEYS)
    for required in ("when", "side"):
        if required not in rule:
            raise reader.error(node, f"{path}.{required}", f"missing {required!r}", name=required)
    when = reader.expression(
        rule["when"],
        f"{path}.when",
        vocabulary,
        expected=ValueType.BOOLEAN,
        slots=slots,
        allow_crossovers=True,
    )
    size: Decimal | RiskSize
    if ("quantity" in rule) == ("size" in rule):
        raise reader.error(node, path, "give exactly one of 'quantity' or 'size'", name="quantity")
    if "quantity" in rule:
        quantity = reader.decimal(rule["quantity"], f"{path}.quantity")
        if quantity % lot_size != 0:
            raise reader.error(
                rule["quantity"], f"{path}.quantity", f"{quantity} is not a multiple of {lot_size}"
            )
        size = quantity
    else:
        if capital is None:
            raise reader.error(
                rule["size"], f"{path}.size", "risk-based size needs a top-level 'capital'"
            )
        sizing = reader.mapping(rule["size"], f"{path}.size", _SIZE_KEYS)
        for required in _SIZE_KEYS:
            if required not in sizing:
                raise reader.error(rule["size"], f"{path}.size", f"missing {required!r}")
        size = RiskSize(
            risk_fraction=reader.decimal(
                sizing["risk_fraction"], f"{path}.size.risk_fraction", maximum=Decimal(1)
            ),
            stop_distance=reader.expression(
                sizing["stop_distance"],
                f"{path}.size.stop_distance",
                vocabulary,
                expected=ValueType.NUMBER,
                slots=slots,
            ),
        )
    limit = _optional_number(reader, rule, "limit", path=path, vocabulary=vocabulary, slots=slots)
    aliases = set(when.aliases)
    if isinstance(size, RiskSize):
        aliases |= size.stop_distance.aliases
    if limit is not None:
        aliases |= limit.aliases
    return EntryRule(
        label=_label(reader, rule, path),
        when=when,
        side=reader.choice(rule["side"], f"{path}.side", dict(_SIDES), upper=True),
        size=size,
        limit=limit,
        time_in_force=_time_in_force(reader, rule, path),
        max_position=(
            reader.decimal(rule["max_position"], f"{path}.max_position")
            if "max_position" in rule
            else default_max
        ),
        aliases=frozenset(aliases),
    )


def _exit(
    reader: YamlReader, node: Node, path: str, vocabulary: Vocabulary, slots: CrossoverSlots
) -> ExitRule:
    rule = reader.mapping(node, path, _EXIT_KEYS)
    if "when" not in rule:
        raise reader.error(node, f"{path}.when", "missing 'when'", name="when")
    when = reader.expression(
        rule["when"],
        f"{path}.when",
        vocabulary,
        expected=ValueType.BOOLEAN,
        slots=slots,
        allow_crossovers=True,
    )
    limit = _optional_number(reader, rule, "limit", path=path, vocabulary=vocabulary, slots=slots)
    applies: AppliesTo = (
        reader.choice(rule["applies_to"], f"{path}.applies_to", dict(_APPLIES), upper=False)
        if "applies_to" in rule
        else "any"
    )
    return ExitRule(
        label=_label(reader, rule, path),
        when=when,
        applies_to=applies,
        limit=limit,
        time_in_force=_time_in_force(reader, rule, path),
        aliases=when.aliases | (limit.aliases if limit is not None else frozenset()),
    )


def _optional_number(
    reader: YamlReader,
    rule: dict[str, Node],
    key: str,
    *,
    path: str,
    vocabulary: Vocabulary,
    slots: CrossoverSlots,
) -> CompiledExpression | None:
    if key not in rule:
        return None
    return reader.expression(
        rule[key], f"{path}.{key}", vocabulary, expected=ValueType.NUMBER, slots=slots
    )


def _time_in_force(reader: YamlReader, rule: dict[str, Node], path: str) -> TimeInForce | None:
    if "time_in_force" not in rule:
        return None
    value: TimeInForce = reader.choice(
        rule["time_in_force"], f"{path}.time_in_force", dict(_TIME_IN_FORCE), upper=True
    )
    return value


def _rate_limit(reader: YamlReader, node: Node | None) -> RateLimit:
    if node is None:
        return RateLimit()
    values = reader.mapping(node, "rate_limit", _RATE_KEYS)
    default = RateLimit()
    return RateLimit(
        max_intents=(
            reader.integer(values["max_intents"], "rate_limit.max_intents", minimum=1)
            if "max_intents" in values
            else default.max_intents
        ),
        window_seconds=(
            float(reader.decimal(values["window_seconds"], "rate_limit.window_seconds"))
            if "window_seconds" in values
            else default.window_seconds
        ),
    )
