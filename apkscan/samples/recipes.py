"""Load the sample recipes (samples_meta/recipes/*.json) and resolve ``extends``.

A recipe may name another in ``extends``; it starts from a deep copy of that one (recursively),
then its own keys replace the parent's, except keys written ``"+key"``, which add to the parent's
list (or update the parent's dict). Recipes whose id starts with ``_`` are building blocks and are
never built on their own. Every recipe's ``id`` is its file name without ``.json``.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

from apkscan.datafiles import samples_meta_dir

NOT_INHERITED = ("id", "description", "expected", "abstract")


def recipes_dir() -> Path:
    return samples_meta_dir() / "recipes"


def load_raw(directory: Path | None = None) -> dict[str, dict]:
    directory = directory or recipes_dir()
    out = {}
    for path in sorted(directory.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        data["id"] = path.stem
        out[path.stem] = data
    return out


def _merge(base: dict, child: dict) -> dict:
    merged = {k: v for k, v in copy.deepcopy(base).items() if k not in NOT_INHERITED}
    for key, value in child.items():
        if key == "extends":
            continue
        if key.startswith("+"):
            name = key[1:]
            old = merged.get(name)
            if isinstance(old, list):
                merged[name] = old + copy.deepcopy(value)
            elif isinstance(old, dict):
                merged[name] = {**old, **copy.deepcopy(value)}
            else:
                merged[name] = copy.deepcopy(value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def resolve(raw: dict[str, dict]) -> dict[str, dict]:
    """-> every recipe with its ``extends`` chain applied (abstract ones included)."""
    done: dict[str, dict] = {}

    def get(rid: str, chain: tuple[str, ...] = ()) -> dict:
        if rid in done:
            return done[rid]
        if rid in chain:
            raise ValueError(f"recipe extends cycle: {' -> '.join(chain + (rid,))}")
        if rid not in raw:
            raise KeyError(f"unknown recipe {rid!r}" + (f" (extended by {chain[-1]})" if chain else ""))
        r = raw[rid]
        done[rid] = _merge(get(r["extends"], chain + (rid,)), r) if r.get("extends") else copy.deepcopy(r)
        return done[rid]

    for rid in raw:
        get(rid)
    return done


def load_recipes(directory: Path | None = None) -> dict[str, dict]:
    """-> buildable recipes (id -> resolved recipe), in id order."""
    all_recipes = resolve(load_raw(directory))
    return {rid: r for rid, r in sorted(all_recipes.items()) if not rid.startswith("_")}


def load_all(directory: Path | None = None) -> dict[str, dict]:
    return resolve(load_raw(directory))
