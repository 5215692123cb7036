"""The shared integration fixtures give a working broker, database and isolation helpers."""

from __future__ import annotations

import psycopg
from confluent_kafka.admin import AdminClient
from streams.topics.admin import broker_topics, create_topics


def test_create_topics_makes_prefixed_topics_visible(bootstrap_servers: str, unique: str) -> None:
    wanted = {f"{unique}alpha": 3, f"{unique}beta": 1}
    create_topics(bootstrap_servers, wanted)
    create_topics(bootstrap_servers, wanted)  # existing topics are fine

    present = broker_topics(AdminClient({"bootstrap.servers": bootstrap_servers}))
    assert {name: present[name] for name in wanted} == wanted


def test_unique_prefixes_differ(unique: str) -> None:
    assert unique.endswith("-")
    assert unique == unique.lower()
    assert len(unique) <= 10


def test_fresh_database_is_empty_and_isolated(fresh_database: str, database_url: str) -> None:
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        conn.execute("CREATE TABLE marker (id int)")
        row = conn.execute("SELECT current_database()").fetchone()
    assert row is not None
    assert row[0] != database_url.rsplit("/", 1)[1]
    with psycopg.connect(database_url) as conn:
        found = conn.execute("SELECT to_regclass('public.marker')").fetchone()
    assert found == (None,)
