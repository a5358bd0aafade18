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
