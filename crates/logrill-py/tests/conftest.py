"""Shared fixtures: the repository's sample logs (with the generator's ground truth) and
the `logrill` command line, whose answers the package must give too."""

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
LOGS = ROOT / "examples" / "logs"


def cli_binary() -> Path:
    env = os.environ.get("LOGRILL")
    if env:
        return Path(env)
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return target / "debug" / "logrill"


@pytest.fixture(scope="session")
def logs() -> Path:
    return LOGS


@pytest.fixture(scope="session")
def truth() -> dict:
    return json.loads((LOGS / "TRUTH.json").read_text())


@pytest.fixture(scope="session")
def cli():
    """Run the command line: `cli(pipeline, *paths, *options)` -> stdout lines."""
    binary = cli_binary()
    if not binary.exists():
        subprocess.run(["cargo", "build", "-q", "-p", "logrill-cli"], cwd=ROOT, check=True)

    def run(*args: str) -> list:
        out = subprocess.run([str(binary), *args], capture_output=True, check=True)
        return out.stdout.decode("utf-8", "surrogateescape").splitlines()

    return run


@pytest.fixture(scope="session")
def cli_rows(cli, logs):
    """The command line's rows (`--json`) of `pipeline` over the sample's access logs."""

    def rows(pipeline: str) -> list:
        return [json.loads(l) for l in cli(pipeline, str(logs), "-g", "access-log*", "--json")]

    return rows
