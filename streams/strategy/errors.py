"""Errors of the strategy layer: configuration errors that point at a file, line and name."""

from __future__ import annotations

from streams.errors import ConfigError


class ExpressionError(ConfigError):
    """A rule expression does not tokenize, parse or type-check.

    ``column`` is 1-based within the expression text; ``name`` is the offending name or
    token (``None`` when the problem is structural, e.g. a missing parenthesis).
    """

    def __init__(self, message: str, *, column: int, name: str | None = None) -> None:
        super().__init__("expression", f"{message} (column {column})")
        self.reason = message
        self.column = column
        self.name = name


class StrategyConfigError(ConfigError):
    """A strategy file or class is invalid.

    ``field`` is the dotted path inside the file (``entry[1].when``); ``line`` is the
    1-based YAML line, ``column`` the 1-based column within an expression when known and
    ``name`` the offending name (an unknown key, alias, function or indicator).
    """

    def __init__(
        self,
        field: str,
        message: str,
        *,
        source: str = "<strategy>",
        line: int | None = None,
        column: int | None = None,
        name: str | None = None,
    ) -> None:
        where = source if line is None else f"{source}:{line}"
        super().__init__(f"{where} {field}", message)
        self.path = field
        self.source = source
        self.line = line
        self.column = column
        self.name = name
