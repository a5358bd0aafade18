"""Find the bundled data folders (signatures/, samples_meta/) in a source tree or an install."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

_PKG = Path(__file__).resolve().parent


@lru_cache(maxsize=None)
def data_dir(name: str) -> Path:
    """Return the folder ``signatures`` or ``samples_meta``.

    An installed wheel carries them as ``apkscan/_data/<name>``; a source checkout has them
    beside the package.
    """
    if name not in ("signatures", "samples_meta"):
        raise ValueError(name)
    for candidate in (_PKG / "_data" / name, _PKG.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"apkscan data folder {name!r} not found (broken install?)")


def signatures_dir() -> Path:
    return data_dir("signatures")


def samples_meta_dir() -> Path:
    return data_dir("samples_meta")
