"""Compile the YARA rule pack (signatures/yara/**/*.yar plus --rules folders) once, cache it.

Compiled rules are saved with yara's ``save`` in a user cache folder, keyed by the SHA-256 of
the rule files (and the yara version), and loaded with ``load`` next time: compiling the pack
costs far more than loading it. The same key is reported as ``tool.rules_sha256``.

Rules see four externals, so that a rule can say where its strings must be:
  package     the app's package name (manifest)
  label       the app's default label
  entry_name  the archive entry scanned ("classes.dex", "lib/arm64-v8a/libx.so", ...)
  entry_kind  dex | elf | asset | raw | manifest | entry_names   (see yara_scan.entry_kind)
The ``dex`` module is deliberately not used: it parses the whole DEX and is slow.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

import yara

from apkscan.datafiles import signatures_dir
from apkscan.model import SEVERITY_RANK

RULE_SUFFIXES = (".yar", ".yara")
EXTERNALS = {"package": "", "label": "", "entry_name": "", "entry_kind": ""}
REQUIRED_META = ("id", "severity", "title", "title_vi", "description", "description_vi", "family", "reference")
CACHE_FORMAT = "1"  # bump when the cache layout changes


class RulesError(Exception):
    """A rule file does not compile (message names the file and line)."""


@dataclass(frozen=True)
class RuleSet:
    rules: "yara.Rules"
    sha256: str  # over the rule files' names and contents
    files: tuple[str, ...]  # namespaces, i.e. "builtin/packers.yar", "user1/x.yar"
    from_cache: bool


def pack_dir() -> Path:
    return signatures_dir() / "yara"


def rule_files(rules_dirs: Iterable[str] = ()) -> list[tuple[str, Path]]:
    """(namespace, path) for every rule file, sorted; the namespace keeps same-named rules of
    different files apart. Built-in rules are "builtin/<relpath>", --rules folders "userN/<relpath>"."""
    found: list[tuple[str, Path]] = []
    roots = [("builtin", pack_dir())] + [(f"user{i}", Path(d)) for i, d in enumerate(rules_dirs, 1)]
    for prefix, root in roots:
        if root.is_file() and root.suffix in RULE_SUFFIXES:
            found.append((f"{prefix}/{root.name}", root))
            continue
        if not root.is_dir():
            if prefix != "builtin":
                raise RulesError(f"rules folder not found: {root}")
            continue
        for path in sorted(root.rglob("*")):
            if path.suffix in RULE_SUFFIXES and path.is_file():
                found.append((f"{prefix}/{path.relative_to(root).as_posix()}", path))
    return found


def _digest(files: list[tuple[str, Path]]) -> str:
    h = hashlib.sha256()
    for namespace, path in files:
        h.update(namespace.encode("utf-8") + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def rules_sha256(rules_dirs: Iterable[str] = ()) -> str:
    """SHA-256 identifying the rule set (names + contents of every rule file)."""
    return _digest(rule_files(tuple(rules_dirs)))


def cache_dir() -> Path:
    """$APKSCAN_CACHE_DIR, else $XDG_CACHE_HOME/apkscan, else ~/.cache/apkscan; then /yara."""
    base = os.environ.get("APKSCAN_CACHE_DIR")
    if not base:
        xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        base = os.path.join(xdg, "apkscan")
    return Path(base) / "yara"


def _cache_file(sha: str) -> Path:
    key = hashlib.sha256(f"{CACHE_FORMAT}|{yara.__version__}|{sha}|{sorted(EXTERNALS)}".encode()).hexdigest()
    return cache_dir() / f"{key}.yarc"


def _compile(files: list[tuple[str, Path]]) -> "yara.Rules":
    try:
        return yara.compile(filepaths={ns: str(p) for ns, p in files}, externals=dict(EXTERNALS))
    except yara.Error as e:  # SyntaxError is a subclass
        raise RulesError(str(e)) from e


def _save(rules: "yara.Rules", target: Path) -> None:
    """Atomic write (temp file + rename) so parallel scans never load half a file."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".yarc", dir=target.parent)
        os.close(fd)
        try:
            rules.save(tmp)
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except (OSError, yara.Error):
        pass  # a read-only home only costs the compile time


_lock = threading.Lock()
_memo: dict[str, RuleSet] = {}


def load_rules(rules_dirs: Iterable[str] = (), use_cache: bool = True) -> RuleSet:
    """The compiled rule set; memoised per process, cached on disk across processes."""
    files = rule_files(tuple(rules_dirs))
    sha = _digest(files)
    with _lock:
        if sha in _memo:
            return _memo[sha]
        target = _cache_file(sha)
        rules = None
        from_cache = False
        if use_cache and target.is_file():
            try:
                rules = yara.load(str(target))
                from_cache = True
            except yara.Error:
                rules = None
        if rules is None:
            rules = _compile(files)
            if use_cache:
                _save(rules, target)
        result = RuleSet(rules, sha, tuple(ns for ns, _ in files), from_cache)
        _memo[sha] = result
        return result


def rule_meta(meta: Mapping[str, object], identifier: str) -> dict[str, str]:
    """Normalised meta for a finding: id prefixed YARA_, a known severity, texts defaulted."""
    out = {k: str(v) for k, v in meta.items()}
    rule_id = out.get("id") or identifier.upper()
    if not rule_id.startswith("YARA_"):
        rule_id = "YARA_" + rule_id
    out["id"] = rule_id.upper()
    if out.get("severity") not in SEVERITY_RANK:
        out["severity"] = "medium"
    out.setdefault("description", f"YARA rule {identifier} matched")
    out.setdefault("title", out["description"])
    out.setdefault("title_vi", out.get("description_vi", ""))
    out.setdefault("description_vi", "")
    out.setdefault("family", "")
    out.setdefault("reference", out.get("source", ""))
    return out


def rule_catalogue(rules_dirs: Iterable[str] = ()) -> dict[str, dict[str, str]]:
    """Finding id -> meta of every rule, for `apkscan explain` and SARIF rule descriptors."""
    ruleset = load_rules(rules_dirs)
    return {m["id"]: m for m in (rule_meta(r.meta, r.identifier) | {"rule": r.identifier} for r in ruleset.rules)}
