"""Seeded bulk content for realistically sized APKs (phone dumps, benchmarks).

Real release APKs are dominated by multi-dex code (class names, string constants, bytecode;
deflates to roughly half), native libraries and assets. The generators below give the same shape:
DEX classes with identifier-like strings plus fill-array-data payloads that are partly word soup,
partly random, so the archive compresses about as much as a real one.
"""
from __future__ import annotations

import hashlib
import random

from apkscan.samples.dex import DexClass

CLASS_BYTES = 3100  # measured average DEX bytes per generated class (strings, ids, code, payload)
_FEATURES = ("account", "payment", "profile", "settings", "home", "search", "news", "map", "chat", "media",
             "login", "cart", "wallet", "notify", "sync", "camera", "share", "report", "help", "update")
_WORDS = ("Manager", "Adapter", "Fragment", "Presenter", "Repository", "Service", "Helper", "Utils", "Client",
          "Parser", "Cache", "Binding", "ViewModel", "Module", "Factory", "Mapper", "Worker", "Provider")


def _rng(seed: str) -> random.Random:
    return random.Random(hashlib.sha256(seed.encode("utf-8")).digest())


def bulk_dex_groups(seed: str, package: str, total_bytes: int, n_files: int) -> list[list[DexClass]]:
    """-> ``n_files`` lists of generated classes, about ``total_bytes`` of DEX in all."""
    from apkscan.samples.apk_builder import soup_slice

    rng = _rng(seed)
    n_classes = max(1, total_bytes // CLASS_BYTES)
    groups: list[list[DexClass]] = [[] for _ in range(max(1, n_files))]
    for i in range(n_classes):
        feature = _FEATURES[rng.randrange(len(_FEATURES))]
        word = _WORDS[rng.randrange(len(_WORDS))]
        name = f"{package}.{feature}.{word}{i}"
        strings = (
            f"{feature}_{word.lower()}_{i}",
            f"https://api.example.invalid/v{i % 7}/{feature}/{word.lower()}",
            f"{word} {feature} failed: %s",
            f"key_{feature}_{i % 97}",
            f"{package}:{feature}/{i}",
            f"{feature}.{word}.state",
        )
        # half word soup, half random: bytecode-like data that deflates about as much as real DEX
        payload = soup_slice(rng, 1800) + rng.randbytes(rng.randrange(500, 1500))
        groups[i % len(groups)].append(DexClass(name, "java.lang.Object", strings, payload))
    return groups
