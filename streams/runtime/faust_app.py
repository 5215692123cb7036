"""The Faust app factory and the Avro codec registered with Faust.

:func:`create_app` builds a ``faust.App`` from :class:`~streams.settings.Settings`:

=============================  ===================================  ========================
Faust setting                  from                                 embedded / redpanda
=============================  ===================================  ========================
broker                         ``bootstrap_servers``                -
broker_session_timeout         ``session_timeout_ms``               2 s / 45 s
broker_heartbeat_interval      ``heartbeat_interval_ms``            0.5 s / 3 s
broker_commit_interval         ``commit_interval_ms``               0.5 s / 2.8 s
broker_rebalance_timeout       ``rebalance_timeout_ms``             4 s / 60 s
fetch wait (aiokafka)          ``fetch_wait_ms`` via the transport  10 ms / 500 ms
table_standby_replicas         always 0 (no Faust tables)           0
web server                     off (``/metrics`` is ours)           off
topic_disable_leader           True (no leader-election topic)      True
=============================  ===================================  ========================

The codec classes frame values and keys the Confluent way (magic byte, schema id, Avro body)
with :class:`~streams.codec.AvroCodec`. They are registered under ``tapewire_avro_key`` /
``tapewire_avro_value`` (a value codec is bound to its topic, for the ``<topic>-value``
subject) and are what an app built here uses for keys and values by default.
"""

from __future__ import annotations

import ssl
from typing import Any

import faust
from faust.serializers import codecs
from faust.types import CodecT

from streams.codec import AvroCodec
from streams.errors import ConfigError
from streams.runtime.faust_transport import FetchWaitTransport
from streams.settings import Settings

KEY_CODEC = "tapewire_avro_key"
VALUE_CODEC = "tapewire_avro_value"


class AvroKeyCodec(codecs.Codec):
    """Faust codec for string keys (subject ``<topic>-key``)."""

    def __init__(
        self, children: tuple[CodecT, ...] | None = None, *, codec: AvroCodec, topic: str
    ) -> None:
        super().__init__(children, codec=codec, topic=topic)
        self._codec = codec
        self._topic = topic

    def _dumps(self, s: Any) -> bytes:
        encoded = self._codec.encode_key(self._topic, None if s is None else str(s))
        return b"" if encoded is None else encoded

    def _loads(self, s: bytes) -> Any:
        return self._codec.decode_key(s or None)


class AvroValueCodec(codecs.Codec):
    """Faust codec for event dicts; the event type comes from ``value["envelope"]``."""

    def __init__(
        self, children: tuple[CodecT, ...] | None = None, *, codec: AvroCodec, topic: str
    ) -> None:
        super().__init__(children, codec=codec, topic=topic)
        self._codec = codec
        self._topic = topic

    def _dumps(self, s: Any) -> bytes:
        return self._codec.encode_value(self._topic, str(s["envelope"]["event_type"]), s)

    def _loads(self, s: bytes) -> Any:
        return self._codec.decode_value(s)


def register_codecs(codec: AvroCodec, topic: str = "tapewire") -> None:
    """Register the key and value codecs with Faust (default subject prefix ``topic``)."""
    codecs.register(KEY_CODEC, AvroKeyCodec(codec=codec, topic=topic))
    codecs.register(VALUE_CODEC, AvroValueCodec(codec=codec, topic=topic))


def create_app(settings: Settings, app_id: str, codec: AvroCodec) -> faust.App:
    """A Faust app for one agent, tuned by the settings' profile; see the module table."""
    register_codecs(codec)
    broker = ";".join(
        f"kafka://{server.strip()}" for server in settings.bootstrap_servers.split(",")
    )
    app = faust.App(
        app_id,
        broker=broker,
        broker_session_timeout=(settings.session_timeout_ms or 45000) / 1000,
        broker_heartbeat_interval=(settings.heartbeat_interval_ms or 3000) / 1000,
        broker_commit_interval=(settings.commit_interval_ms or 2800) / 1000,
        broker_rebalance_timeout=(settings.rebalance_timeout_ms or 60000) / 1000,
        broker_request_timeout=max(40.0, (settings.session_timeout_ms or 45000) / 1000 + 5),
        table_standby_replicas=0,
        topic_disable_leader=True,
        topic_allow_declare=False,
        web_enabled=False,
        # Shutdown must not wait for in-flight events the agent will never ack once it stops
        # iterating (seen: a SIGTERM under backlog hung in "Wait for streams"). Nothing is
        # lost: the final snapshot and commits cover only what was processed, the rest is
        # read again on restart.
        stream_wait_empty=False,
        broker_credentials=_credentials(settings),
        consumer_auto_offset_reset="earliest",
        key_serializer=KEY_CODEC,
        value_serializer=VALUE_CODEC,
        autodiscover=False,
        store="memory://",
    )
    app.transport = FetchWaitTransport(
        app.conf.broker_consumer, app, fetch_wait_ms=settings.fetch_wait_ms or 500
    )
    return app


def _credentials(settings: Settings) -> faust.SASLCredentials | faust.SSLCredentials | None:
    """SASL/SSL for the Faust host from the same settings the confluent-kafka clients use."""
    uses_tls = settings.security_protocol in ("SSL", "SASL_SSL")
    context = ssl.create_default_context() if uses_tls else None
    if settings.security_protocol.startswith("SASL"):
        if settings.sasl_username is None or settings.sasl_password is None:
            raise ConfigError(
                "sasl_username", f"{settings.security_protocol} needs sasl_username/sasl_password"
            )
        return faust.SASLCredentials(
            username=settings.sasl_username,
            password=settings.sasl_password.get_secret_value(),
            mechanism=settings.sasl_mechanism or "PLAIN",
            ssl_context=context,
        )
    return faust.SSLCredentials(context) if context is not None else None
