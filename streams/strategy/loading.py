"""Find strategies by reference: a YAML file, ``package.module:ClassName`` or an entry point.

A reference ending in ``.yaml``/``.yml`` is a YAML strategy file; one containing ``:`` is a
Python class imported by module path; anything else is the name of an entry point in the
``tapewire.strategies`` group (installed plug-in packages declare them in their
``pyproject.toml``). Classes are instantiated without arguments and must subclass
:class:`~streams.strategy.base.Strategy`.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from importlib.metadata import entry_points
from pathlib import Path
from typing import Final

from streams.indicators.registry import IndicatorSpec
from streams.strategy.base import Strategy
from streams.strategy.errors import StrategyConfigError
from streams.strategy.prepared import prepare
from streams.strategy.yaml_loader import load_strategy_file

ENTRY_POINT_GROUP: Final = "tapewire.strategies"
_YAML_SUFFIXES: Final = (".yaml", ".yml")


def is_yaml_reference(reference: str) -> bool:
    return reference.lower().endswith(_YAML_SUFFIXES)


def load_strategy(reference: str) -> Strategy:
    """Load and validate one strategy; every problem is a StrategyConfigError."""
    reference = reference.strip()
    if is_yaml_reference(reference):
        strategy: Strategy = load_strategy_file(Path(reference))
    elif ":" in reference:
        strategy = _instantiate(_import_class(reference), reference)
    else:
        strategy = _instantiate(_entry_point_class(reference), reference)
    prepare(strategy, source=reference)
    return strategy


def load_strategies(references: Iterable[str]) -> list[Strategy]:
    """Load several strategies; names must be unique."""
    strategies: list[Strategy] = []
    for reference in references:
        strategy = load_strategy(reference)
        if any(s.name == strategy.name for s in strategies):
            raise StrategyConfigError(
                "name",
                f"strategy {strategy.name!r} is configured twice",
                source=reference,
                name=strategy.name,
            )
        strategies.append(strategy)
    return strategies


def required_indicators(strategies: Iterable[Strategy]) -> list[IndicatorSpec]:
    """The union of indicator specs the strategies declare, in first-seen order."""
    specs: dict[str, IndicatorSpec] = {}
    for strategy in strategies:
        for spec in prepare(strategy).specs.values():
            specs.setdefault(spec.text, spec)
    return list(specs.values())


def _import_class(reference: str) -> type[object]:
    module_name, _, attribute = reference.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise StrategyConfigError(
            "module", f"cannot import {module_name!r}: {exc}", source=reference, name=module_name
        ) from exc
    found = getattr(module, attribute, None)
    if not isinstance(found, type):
        raise StrategyConfigError(
            "class",
            f"{module_name} has no class {attribute!r}",
            source=reference,
            name=attribute,
        )
    return found


def _entry_point_class(name: str) -> type[object]:
    matches = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == name]
    if not matches:
        raise StrategyConfigError(
            "strategy",
            f"{name!r} is not a YAML file, a module:Class path or an entry point "
            f"of group {ENTRY_POINT_GROUP!r}",
            source=name,
            name=name,
        )
    try:
        found = matches[0].load()
    except ImportError as exc:
        raise StrategyConfigError(
            "entry_point", f"cannot load {matches[0].value!r}: {exc}", source=name, name=name
        ) from exc
    if not isinstance(found, type):
        raise StrategyConfigError(
            "entry_point", f"{matches[0].value!r} is not a class", source=name, name=name
        )
    return found


def _instantiate(cls: type[object], reference: str) -> Strategy:
    if not issubclass(cls, Strategy):
        raise StrategyConfigError(
            "class",
            f"{cls.__qualname__} does not subclass streams.strategy.Strategy",
            source=reference,
            name=cls.__qualname__,
        )
    try:
        return cls()
    except TypeError as exc:
        raise StrategyConfigError(
            "class",
            f"{cls.__qualname__} cannot be created without arguments: {exc}",
            source=reference,
            name=cls.__qualname__,
        ) from exc
