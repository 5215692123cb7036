"""Loading the market-data agents' settings classes with errors that name the variable."""

from __future__ import annotations

from typing import TypeVar

from pydantic import ValidationError
from pydantic_settings import BaseSettings

from streams.errors import ConfigError

_S = TypeVar("_S", bound=BaseSettings)


def load_config(cls: type[_S]) -> _S:
    """Instantiate a settings class from the environment; ConfigError names the variable."""
    try:
        return cls()
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or cls.__name__
        prefix = str(cls.model_config.get("env_prefix", ""))
        env = f"{prefix}{field.split('.')[0]}".upper()
        raise ConfigError(
            field, f"{first['msg']} (input {first.get('input')!r}; env {env})"
        ) from exc
