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

Scan plans (speed, same matches). Two optional rule metas let the scanner skip work:
  kinds      = "dex manifest"  the entry kinds the rule's condition can accept
  dex_scope  = "strings"       on a DEX, every string of the rule is a string constant or a
                               class / method / field name, i.e. lies in the DEX string data
For each entry kind the scanner runs only the rule FILES that can match it (a file counts for a
kind when one of its rules lists the kind or has no ``kinds`` meta), and a DEX goes to the files
whose DEX rules are all ``dex_scope = "strings"`` as its string data section only (a few percent
of the DEX: see dex_strings.string_data_span). Whole files are selected, never parts of a file,
so private/global rules and rule references keep their meaning; rules without the metas (user
packs) see every kind and the whole DEX.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

import yara

from apkscan.datafiles import signatures_dir
from apkscan.model import SEVERITY_RANK

RULE_SUFFIXES = (".yar", ".yara")
EXTERNALS = {"package": "", "label": "", "entry_name": "", "entry_kind": ""}
KINDS = ("dex", "elf", "asset", "raw", "manifest", "entry_names")
REQUIRED_META = ("id", "severity", "title", "title_vi", "description", "description_vi", "family", "reference")
CACHE_FORMAT = "1"  # bump when the cache layout changes


class RulesError(Exception):
    """A rule file does not compile (message names the file and line)."""


@dataclass(frozen=True)
class ScanStep:
    """One yara match call of a plan: these rules, over the whole buffer or (``dex_strings``)
    over a DEX's string data section."""

    rules: "yara.Rules"
    part: str  # "all" | "dex_strings"
    files: tuple[str, ...]


@dataclass(frozen=True)
class RuleSet:
    rules: "yara.Rules"
    sha256: str  # over the rule files' names and contents
    files: tuple[str, ...]  # namespaces, i.e. "builtin/packers.yar", "user1/x.yar"
    from_cache: bool
    sources: tuple[tuple[str, Path], ...] = ()  # (namespace, path) of each file
    # entry kind -> match calls giving the same matches as ``rules`` over the whole buffer
    # (module docstring); computed on first use, so loading stays as cheap as yara.load
    _plans: dict = field(default_factory=dict, compare=False, repr=False)

    def plan(self, kind: str) -> tuple[ScanStep, ...]:
        if not self._plans:
            with _lock:
                if not self._plans:
                    try:
                        self._plans.update(_plans(self.rules, list(self.sources)))
                    except (RulesError, OSError, yara.Error):
                        self._plans["*"] = ()  # fall back to the whole pack: slower, same matches
        found = self._plans.get(kind)
        return found if found is not None else (ScanStep(self.rules, "all", self.files),)


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


_lock = threading.RLock()
_memo: dict = {}  # rules sha256 -> RuleSet, and ("dirs", folders, use_cache) -> RuleSet


def _load_or_compile(files: list[tuple[str, Path]], sha: str, use_cache: bool) -> tuple["yara.Rules", bool]:
    target = _cache_file(sha)
    if use_cache and target.is_file():
        try:
            return yara.load(str(target)), True
        except yara.Error:
            pass
    rules = _compile(files)
    if use_cache:
        _save(rules, target)
    return rules, False


def load_rules(rules_dirs: Iterable[str] = (), use_cache: bool = True) -> RuleSet:
    """The compiled rule set; memoised per process, cached on disk across processes. The rule
    files are listed and hashed once per process and set of folders (every APK of a batch asks
    again); ``_memo.clear()`` forgets both memos, e.g. after editing rules in a long-lived process."""
    dirs_key = ("dirs", tuple(str(d) for d in rules_dirs), use_cache)
    found = _memo.get(dirs_key)
    if found is not None:
        return found
    files = rule_files(dirs_key[1])
    sha = _digest(files)
    with _lock:
        if sha not in _memo:
            rules, from_cache = _load_or_compile(files, sha, use_cache)
            _memo[sha] = RuleSet(rules, sha, tuple(ns for ns, _ in files), from_cache, tuple(files))
        _memo[dirs_key] = _memo[sha]
        return _memo[sha]


def _rule_kinds(meta: Mapping[str, object]) -> tuple[frozenset[str], bool]:
    """(kinds the rule can match, its DEX strings all in the string data?) from its meta; a
    missing or unreadable ``kinds`` means every kind."""
    raw = meta.get("kinds")
    kinds = frozenset(str(raw).split()) if isinstance(raw, str) else frozenset()
    if not kinds or not kinds <= set(KINDS):
        kinds = frozenset(KINDS)
    return kinds, meta.get("dex_scope") == "strings"


def _plans(rules: "yara.Rules", files: list[tuple[str, Path]]) -> dict[str, tuple[ScanStep, ...]]:
    """Per entry kind, the rule files to run and over which part of a DEX (module docstring).
    Subsets are compiled here (a few ms for the built-in pack), not cached on disk."""
    kinds_of: dict[str, frozenset[str]] = {}
    dex_strings_only: dict[str, bool] = {}
    for ns, path in files:
        # yara.Rule does not say its namespace: each file is compiled alone to read its metas
        try:
            found = [_rule_kinds(r.meta) for r in _compile([(ns, path)])]
        except RulesError:
            found = []  # e.g. refers to another file's rules
        if not found:  # unknown: the file is kept for every kind and the whole DEX
            kinds_of[ns], dex_strings_only[ns] = frozenset(KINDS), False
            continue
        kinds_of[ns] = frozenset().union(*(k for k, _ in found))
        dex_strings_only[ns] = all(scope for k, scope in found if "dex" in k)
    compiled: dict[tuple[str, ...], "yara.Rules"] = {}

    def step(selected: list[tuple[str, Path]], part: str) -> tuple[ScanStep, ...]:
        if not selected:
            return ()
        key = tuple(ns for ns, _ in selected)
        if key not in compiled:
            compiled[key] = rules if len(selected) == len(files) else _compile(selected)
        return (ScanStep(compiled[key], part, key),)

    plans: dict[str, tuple[ScanStep, ...]] = {}
    for kind in KINDS:
        selected = [(ns, p) for ns, p in files if kind in kinds_of[ns]]
        if kind == "dex":
            plans[kind] = (step([f for f in selected if dex_strings_only[f[0]]], "dex_strings")
                           + step([f for f in selected if not dex_strings_only[f[0]]], "all"))
        else:
            plans[kind] = step(selected, "all")
    return plans


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
