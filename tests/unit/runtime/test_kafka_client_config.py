"""librdkafka settings follow the profile: short waits embedded, defaults on Redpanda."""

from __future__ import annotations

from pydantic import SecretStr
from streams.runtime.kafka_config import consumer_config, producer_config
from streams.settings import load_settings


def test_embedded_profile_timings() -> None:
    config = consumer_config(load_settings(profile="embedded"), "g")
    assert config["group.id"] == "g"
    assert (config["fetch.wait.max.ms"], config["session.timeout.ms"]) == (10, 2000)
    assert config["heartbeat.interval.ms"] == 500
    assert config["enable.auto.commit"] is False, "hosts commit after the effect"
    assert config["auto.offset.reset"] == "earliest"


def test_redpanda_profile_keeps_production_timings() -> None:
    config = consumer_config(load_settings(profile="redpanda"), "g")
    assert (config["fetch.wait.max.ms"], config["session.timeout.ms"]) == (500, 45000)


def test_overrides_and_credentials() -> None:
    settings = load_settings(
        security_protocol="SASL_SSL",
        sasl_mechanism="SCRAM-SHA-256",
        sasl_username="agent",
        sasl_password=SecretStr("s3cret"),
    )
    config = producer_config(settings, **{"linger.ms": 0})
    assert config["linger.ms"] == 0
    assert config["acks"] == "all"
    assert (config["security.protocol"], config["sasl.mechanism"]) == ("SASL_SSL", "SCRAM-SHA-256")
    assert (config["sasl.username"], config["sasl.password"]) == ("agent", "s3cret")
