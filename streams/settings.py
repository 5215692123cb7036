"""One typed settings object for every agent and command.

Values come, highest priority first, from: explicit keyword arguments, ``TAPEWIRE_*``
environment variables (one per field, e.g. ``TAPEWIRE_BOOTSTRAP_SERVERS``), a YAML file
named by ``TAPEWIRE_CONFIG_FILE``, and the defaults below. Everything is validated at start;
a bad value raises :class:`streams.errors.ConfigError` naming the field. Secrets are
``SecretStr`` and never printed.

Profiles: ``embedded`` (the project's own Tansu broker and PostgreSQL: short session timeout
and fetch wait, because that broker's groups join in about half the session timeout and a
waiting fetch does not wake on new data) and ``redpanda`` (production defaults).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from streams.errors import ConfigError

Profile = Literal["embedded", "redpanda"]

_PROFILE_DEFAULTS: dict[str, dict[str, int]] = {
    "embedded": {
        "session_timeout_ms": 2000,
        "heartbeat_interval_ms": 500,
        "fetch_wait_ms": 10,
        "commit_interval_ms": 500,
        "rebalance_timeout_ms": 4000,
    },
    "redpanda": {
        "session_timeout_ms": 45000,
        "heartbeat_interval_ms": 3000,
        "fetch_wait_ms": 500,
        "commit_interval_ms": 2800,
        "rebalance_timeout_ms": 60000,
    },
}


class _YamlSource(PydanticBaseSettingsSource):
    """Reads the YAML file named by TAPEWIRE_CONFIG_FILE (lowest priority above defaults)."""

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        super().__init__(settings_cls)
        path = os.environ.get("TAPEWIRE_CONFIG_FILE")
        self._data: dict[str, Any] = {}
        if path:
            file = Path(path)
            if not file.is_file():
                raise ConfigError("config_file", f"no such file: {path}")
            loaded = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
            if not isinstance(loaded, dict):
                raise ConfigError("config_file", f"{path} must hold a mapping of settings")
            self._data = loaded

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self._data)


class Settings(BaseSettings):
    """Typed settings; see docs/configuration.md for every ``TAPEWIRE_*`` variable."""

    model_config = SettingsConfigDict(
        env_prefix="TAPEWIRE_", frozen=True, extra="forbid", validate_default=True
    )

    profile: Profile = Field("embedded", description="embedded (Tansu+PostgreSQL) or redpanda")
    bootstrap_servers: str = Field("127.0.0.1:19092", description="Kafka bootstrap servers")
    schema_registry_url: str | None = Field(
        None, description="Confluent-API schema registry; unset = local registry from avro/"
    )
    database_url: SecretStr = Field(
        SecretStr("postgresql://tapewire@127.0.0.1:15432/tapewire"),
        description="PostgreSQL/TimescaleDB connection URL",
    )
    data_dir: Path = Field(Path(".tapewire"), description="embedded stack data and pid files")
    broker_port: int = Field(19092, ge=1, le=65535, description="embedded broker port")
    postgres_port: int = Field(15432, ge=1, le=65535, description="embedded PostgreSQL port")
    topic_prefix: str = Field("", description="prefix for every physical topic name")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    metrics_port: int = Field(0, ge=0, le=65535, description="Prometheus/health port, 0 = off")
    session_timeout_ms: int | None = Field(None, gt=0, description="consumer group session")
    heartbeat_interval_ms: int | None = Field(None, gt=0)
    fetch_wait_ms: int | None = Field(None, ge=0, description="max wait of a fetch request")
    commit_interval_ms: int | None = Field(None, gt=0)
    rebalance_timeout_ms: int | None = Field(None, gt=0)
    run_id: str | None = Field(
        None, min_length=1, description="replay run id; outputs carry header tapewire.run_id"
    )
    snapshot_every_events: int = Field(1000, gt=0, description="snapshot after N events")
    snapshot_every_seconds: float = Field(5.0, gt=0, description="or after T seconds")
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None

    @model_validator(mode="after")
    def _profile_defaults(self) -> Settings:
        for name, value in _PROFILE_DEFAULTS[self.profile].items():
            if getattr(self, name) is None:
                object.__setattr__(self, name, value)
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _YamlSource(settings_cls))

    def topic(self, logical: str) -> str:
        """Physical topic name for a logical one (``topic_prefix`` + name)."""
        return f"{self.topic_prefix}{logical}"

    def redacted(self) -> dict[str, Any]:
        """Every setting with secrets shown as ``**********``."""
        out: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                value = "**********" if value.get_secret_value() else ""
            elif isinstance(value, Path):
                value = str(value)
            out[name] = value
        return out


def load_settings(**overrides: Any) -> Settings:
    """Load and validate settings; raises ConfigError naming the first bad field."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "settings"
        env = f"TAPEWIRE_{field.upper()}"
        detail = f"{first['msg']} (input {first.get('input')!r}; env {env})"
        raise ConfigError(field, detail) from exc
