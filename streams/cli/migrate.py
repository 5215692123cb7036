"""``tapewire migrate``: apply the numbered migrations of ``sql/`` to the database."""

from __future__ import annotations

import argparse
from typing import Any, cast

from streams.db.connection import redact_url
from streams.db.migrations import migrate
from streams.db.sqlscript import VARIANTS, Variant
from streams.resources import resource_dir
from streams.settings import load_settings


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "migrate",
        help="apply the sql/ migrations (idempotent)",
        description=(
            "Apply the numbered SQL migrations in order, each in its own transaction. "
            "Re-running is a no-op; an edited, already-applied migration is refused."
        ),
    )
    parser.add_argument(
        "--database-url",
        help="PostgreSQL/TimescaleDB URL (default: TAPEWIRE_DATABASE_URL / settings)",
    )
    parser.add_argument(
        "--variant",
        choices=VARIANTS,
        help="force the variant of a new database (default: timescaledb when available)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="list pending migrations, change nothing"
    )
    parser.set_defaults(handler=_migrate)


def _migrate(args: argparse.Namespace) -> int:
    url = cast(str | None, args.database_url)
    if url is None:
        url = load_settings().database_url.get_secret_value()
    report = migrate(
        url,
        resource_dir("sql"),
        variant=cast(Variant | None, args.variant),
        dry_run=bool(args.dry_run),
    )
    verb = "would apply" if args.dry_run else "applied"
    print(f"database {redact_url(url)} (variant {report.variant})")
    for migration in report.applied:
        print(f"  {verb} {migration.file_name}")
    if not report.applied:
        print(f"  up to date: {len(report.already_applied)} migrations already applied")
    return 0
