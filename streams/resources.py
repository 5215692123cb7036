"""Where the project's data directories (avro/, topics/, sql/) live at run time.

In a checkout they sit next to the ``streams`` package at the repository root; in an
installed wheel they are packaged as ``streams/_resources/<name>`` (pyproject force-includes
them). The checkout wins when both exist, so editing a schema in a checkout takes effect
without reinstalling.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final, Literal

import streams
from streams.errors import ConfigError

ResourceName = Literal["avro", "topics", "sql"]

_PACKAGE_DIR: Final = Path(streams.__file__).resolve().parent


def resource_dir(name: ResourceName, *, package_dir: Path = _PACKAGE_DIR) -> Path:
    """The directory holding ``name``: the checkout's copy, else the packaged one.

    ``package_dir`` is the ``streams`` package directory (tests point it elsewhere).
    Raises :class:`ConfigError` naming both places looked at when neither exists.
    """
    candidates = (package_dir.parent / name, package_dir / "_resources" / name)
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    looked = ", ".join(str(c) for c in candidates)
    raise ConfigError(
        f"resources.{name}", f"directory not found (looked in {looked}); reinstall tapewire"
    )
