"""Build every recipe into OUTDIR/<recipe>.apk and write OUTDIR/index.json.

Deterministic: the same recipes and keys give the same bytes (fixed ZIP timestamps, seeded
filler, RSA PKCS#1 v1.5 signatures; EC signatures are deterministic only if the signer uses
RFC 6979 nonces).
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

from apkscan.samples.apk_builder import build_unsigned
from apkscan.samples.recipes import load_all
from apkscan.samples.testkeys import load_test_key

INDEX_NAME = "index.json"
_SAFE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,80}$")
_SAFE_ASSET = re.compile(r"^(assets|res/raw)/[A-Za-z0-9._/-]+$")


class SignerUnavailable(RuntimeError):
    pass


def _signer():
    try:
        from apkscan.signing.sign import sign_apk
    except ImportError as exc:  # the signer lands separately; without it samples stay unsigned
        raise SignerUnavailable(str(exc)) from exc
    return sign_apk


def sign_recipe_apk(unsigned: bytes, recipe: dict) -> bytes:
    signing = recipe.get("signing") or {}
    keys = [load_test_key(signing["key"])]
    lineage = [load_test_key(k) for k in signing["lineage"]] if signing.get("lineage") else None
    schemes = tuple(signing.get("schemes", ("v1", "v2", "v3")))
    return _signer()(unsigned, keys, schemes=schemes, lineage=lineage, min_sdk=int(recipe.get("min_sdk", 1)))


class Factory:
    """Builds recipes on demand, each at most once (nested APKs reuse the cache)."""

    def __init__(self, recipes: dict[str, dict] | None = None, sign: bool = True):
        self.recipes = recipes if recipes is not None else load_all()
        self.sign = sign
        self.signed: dict[str, bool] = {}
        self._cache: dict[str, bytes] = {}
        self._building: set[str] = set()

    def apk(self, rid: str) -> bytes:
        if rid in self._cache:
            return self._cache[rid]
        if rid in self._building:
            raise ValueError(f"recipe {rid} nests itself")
        r = self.recipes[rid]
        for a in r.get("assets", []):
            if not _SAFE_ASSET.match(a.get("path", "")) or ".." in a["path"].split("/"):
                raise ValueError(f"{rid}: unsafe asset path {a.get('path')!r}")
        self._building.add(rid)
        try:
            data = build_unsigned(r, self.recipes, self.apk)
            signed = False
            if self.sign and r.get("signing"):
                try:
                    data = sign_recipe_apk(data, r)
                    signed = True
                except SignerUnavailable:
                    signed = False
        finally:
            self._building.discard(rid)
        self._cache[rid] = data
        self.signed[rid] = signed
        return data


def buildable_ids(recipes: dict[str, dict]) -> list[str]:
    return sorted(rid for rid in recipes if not rid.startswith("_"))


def build_all(outdir: str | os.PathLike, only: list[str] | None = None, sign: bool = True,
              recipes: dict[str, dict] | None = None) -> dict:
    """Write ``OUTDIR/<recipe>.apk`` for every buildable recipe (or ``only`` those) and
    ``OUTDIR/index.json``; return the index."""
    factory = Factory(recipes, sign=sign)
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    ids = buildable_ids(factory.recipes) if only is None else list(only)
    samples = []
    for rid in ids:
        if not _SAFE_ID.match(rid) or rid not in factory.recipes:
            raise ValueError(f"unknown or badly named recipe {rid!r}")
        data = factory.apk(rid)
        name = f"{rid}.apk"
        (out / name).write_bytes(data)
        r = factory.recipes[rid]
        signing = r.get("signing") or {}
        samples.append({
            "file": name,
            "recipe": rid,
            "sha256": hashlib.sha256(data).hexdigest(),
            "size": len(data),
            "package": r["package"],
            "label": (r.get("labels") or {}).get(""),
            "signed": factory.signed[rid],
            "key": signing.get("key"),
            "schemes": list(signing.get("schemes", [])) if factory.signed[rid] else [],
            "lineage": list(signing.get("lineage", [])),
            "expected": r.get("expected", {}),
            "description": r.get("description", ""),
        })
    index = {
        "about": "apkscan sample set built from samples_meta/recipes by `apkscan samples build`. "
                 "Inert stand-ins: the fakes carry the static tells of the families in the threat brief, "
                 "no malicious code. Keys are TEST keys (samples_meta/keys).",
        "samples": samples,
    }
    (out / INDEX_NAME).write_text(json.dumps(index, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return index
