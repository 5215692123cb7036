"""Opening PostgreSQL connections with errors mapped to Tapewire's own types."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import psycopg

from streams.errors import DatabaseError, DatabaseUnavailableError

DEFAULT_CONNECT_TIMEOUT = 5


def redact_url(url: str) -> str:
    """``url`` with its password replaced by ``***``, safe to log or print."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port is not None else ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}{port}"))


def connect(
    url: str, *, autocommit: bool = False, connect_timeout: int = DEFAULT_CONNECT_TIMEOUT
) -> psycopg.Connection[tuple[object, ...]]:
    """Open a connection; unreachable servers raise :class:`DatabaseUnavailableError`."""
    try:
        return psycopg.connect(url, autocommit=autocommit, connect_timeout=connect_timeout)
    except psycopg.OperationalError as exc:
        raise DatabaseUnavailableError(
            f"cannot connect to {redact_url(url)}: {_first_line(exc)}"
        ) from exc
    except psycopg.Error as exc:
        raise DatabaseError(f"cannot connect to {redact_url(url)}: {_first_line(exc)}") from exc


def translate(exc: psycopg.Error, what: str) -> DatabaseError:
    """The Tapewire error for a psycopg error raised while doing ``what``.

    Lost connections, shutdowns (``AdminShutdown`` is an ``OperationalError``), use of a
    connection that broke (``InterfaceError``) and other operational failures are retriable
    (:class:`DatabaseUnavailableError`); everything else is a :class:`DatabaseError`.
    """
    if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
        return DatabaseUnavailableError(f"{what}: {_first_line(exc)}")
    return DatabaseError(f"{what}: {_first_line(exc)}")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
