"""Shared fixtures of the integration tests: one broker + one PostgreSQL per test session.

By default the session starts the embedded stack (Tansu + PostgreSQL 18) on free ports in a
temporary directory and stops it at the end, even when tests fail. Set
``TAPEWIRE_BOOTSTRAP_SERVERS`` and/or ``TAPEWIRE_DATABASE_URL`` to run against an external
broker (e.g. Redpanda from docker-compose) and/or database (e.g. TimescaleDB) instead; only
what is not given is started, and only when a test first needs it.

Fixtures: ``stack`` (session), ``bootstrap_servers``, ``database_url``, ``unique`` (a short
lowercase prefix for topic and group names, new per test) and ``fresh_database`` (a new, empty
database per test, dropped afterwards). Every test under tests/integration is marked
``integration``.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql
from streams.dev.session import StackSession

_HERE = Path(__file__).parent


@pytest.fixture(scope="session")
def stack() -> Iterator[StackSession]:
    """The session's broker + database; embedded ones are stopped at session end.

    Attributes: ``bootstrap_servers``, ``database_url``, ``embedded`` (the broker is the
    embedded Tansu) and ``settings(**overrides)``; see :class:`streams.dev.session.StackSession`.
    The data directory is a private temporary directory, not pytest's ``tmp_path_factory``:
    pytest prunes old base temp directories, and concurrent runs would delete a live one.
    """
    data_dir = Path(tempfile.mkdtemp(prefix="tapewire-stack-"))
    session_stack = StackSession.from_environment(data_dir)
    try:
        yield session_stack
    finally:
        try:
            session_stack.stop()
        finally:
            shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
def bootstrap_servers(stack: StackSession) -> str:
    return stack.bootstrap_servers


@pytest.fixture
def database_url(stack: StackSession) -> str:
    return stack.database_url


@pytest.fixture
def unique() -> str:
    """A short unique lowercase prefix for this test's topics and groups, e.g. ``t3f9a1c-``."""
    return f"t{uuid.uuid4().hex[:7]}-"


@pytest.fixture
def fresh_database(stack: StackSession) -> Iterator[str]:
    """The URL of a new, empty database on the session's server; dropped after the test.

    On an external server the role of ``TAPEWIRE_DATABASE_URL`` needs CREATEDB.
    """
    server_url = stack.database_url
    name = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield _with_database(server_url, name)
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            conn.execute(drop.format(sql.Identifier(name)))


def _with_database(url: str, database: str) -> str:
    """``url`` with its database name replaced."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test collected under tests/integration as ``integration``."""
    for item in items:
        if _HERE in item.path.parents:
            item.add_marker(pytest.mark.integration)
