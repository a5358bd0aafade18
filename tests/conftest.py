"""Shared fixtures: the conformance corpus in ../shared (skipped when absent) and the factory's samples."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("APKSCAN_SHARED", ROOT.parent / "shared"))


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared corpus lives in ../shared beside the clone (CI has it)")
    return path


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    return _need(SHARED)


@pytest.fixture(scope="session")
def signing_corpus() -> Path:
    return _need(SHARED / "corpus" / "signing")


@pytest.fixture(scope="session")
def malformed_corpus() -> Path:
    return _need(SHARED / "corpus" / "malformed")


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="session")
def sample_set(tmp_path_factory):
    """The factory's bundled sample set, built once per test session: (folder, index)."""
    from apkscan.samples.build import build_all

    out = tmp_path_factory.mktemp("samples")
    index = build_all(out)
    return out, index


@pytest.fixture(scope="session")
def sample_trust(sample_set, tmp_path_factory):
    """A user trust file enrolling the factory's TEST stand-in of the genuine VNeID (as an officer
    enrols a Play-installed copy), made with the real `apkscan trust enroll` command."""
    from click.testing import CliRunner

    from apkscan.cli import cli

    folder, _ = sample_set
    trust = tmp_path_factory.mktemp("trust") / "trust.json"
    res = CliRunner().invoke(cli, ["trust", "enroll", str(folder / "vneid-reference.apk"), "--id", "vneid",
                                   "--trust-file", str(trust)])
    assert res.exit_code == 0, res.output
    return trust


_SUMMARY: list[str] = []


@pytest.fixture(scope="session")
def summary():
    """Append a line to the run's closing summary (e.g. a conformance count), printed even with -q."""
    return _SUMMARY.append


def pytest_terminal_summary(terminalreporter):
    if _SUMMARY:
        terminalreporter.section("apkscan measurements")
        for line in _SUMMARY:
            terminalreporter.write_line(line)


# --- external tools the tests cross-check against ----------------------------------------------

REQUIRE_TOOLS_ENV = "APKSCAN_REQUIRE_TOOLS"
TOOL_PACKAGES = {"apksigner": "apksigner", "aapt": "aapt", "dexdump": "dexdump", "readelf": "binutils",
                 "chromium": "chromium"}


def require_tool(name: str, *alternatives: str) -> str:
    """The path of an external tool a test cross-checks apkscan against (Debian's apksigner, aapt,
    dexdump, readelf, chromium; ``alternatives`` are other names of the same tool). When it is
    absent the test is skipped -- or FAILS when APKSCAN_REQUIRE_TOOLS=1 (for CI, where a missing
    tool must not turn a regression into a skip)."""
    import shutil

    for candidate in (name, *alternatives):
        path = shutil.which(candidate)
        if path:
            return path
    reason = f"{name} is not installed (apt-get install {TOOL_PACKAGES.get(name, name)})"
    if os.environ.get(REQUIRE_TOOLS_ENV) == "1":
        pytest.fail(f"{reason}, and {REQUIRE_TOOLS_ENV}=1 requires every cross-check tool", pytrace=False)
    pytest.skip(reason)
