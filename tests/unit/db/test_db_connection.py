"""Connection helpers: secrets stay out of messages, errors map to Tapewire's types."""

from __future__ import annotations

import psycopg
import pytest
from streams.db.connection import connect, redact_url, translate
from streams.errors import DatabaseError, DatabaseUnavailableError


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://app:s3cret@db:5432/tapewire", "postgresql://app:***@db:5432/tapewire"),
        ("postgresql://app@db/tapewire", "postgresql://app@db/tapewire"),
        ("postgresql://:pw@db/x", "postgresql://:***@db/x"),
    ],
)
def test_redact_url_hides_only_the_password(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_operational_failures_are_retriable() -> None:
    for error in (
        psycopg.OperationalError("server closed the connection unexpectedly"),
        psycopg.errors.AdminShutdown("terminating connection due to administrator command"),
        psycopg.InterfaceError("the connection is closed"),
    ):
        translated = translate(error, "writing")
        assert isinstance(translated, DatabaseUnavailableError)
        assert translated.retriable
        assert str(translated).startswith("writing: ")


def test_other_failures_are_not_retriable() -> None:
    translated = translate(psycopg.errors.UndefinedTable('relation "ticks" does not exist'), "x")
    assert type(translated) is DatabaseError
    assert not translated.retriable


def test_connect_to_nothing_is_unavailable_without_leaking_the_password() -> None:
    with pytest.raises(DatabaseUnavailableError) as info:
        connect("postgresql://app:s3cret@127.0.0.1:1/none", connect_timeout=1)
    assert "s3cret" not in str(info.value)
    assert "app:***@127.0.0.1:1" in str(info.value)
