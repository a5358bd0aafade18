"""YARA over the entries that carry code and hidden content, inside the archive's single entry pass.

Scanned: classes*.dex, lib/**/*.so, assets/**, res/raw/** (each up to Limits.yara_max_entry_bytes,
with Limits.yara_timeout_s per match), and after the pass the decoded manifest XML and a listing
of all entry names (so that layout rules like "libv++.so next to libsandhook.so" stay plain YARA).
A match becomes a YARA_* finding carrying the rule's meta.
"""
from __future__ import annotations

from typing import Any

import yara

from apkscan.analyzers.content_findings import (
    is_content_entry,
    apk_path,
    declared_size,
    entry_path,
    is_dir_entry,
    is_raw_resource,
    limit,
    make_finding,
    printable,
)
from apkscan.analyzers.dex_strings import is_dex, string_data_span
from apkscan.analyzers.yara_engine import RuleSet, RulesError, load_rules, rule_meta
from apkscan.analyzers.base import EntryPassAnalyzer
from apkscan.model import Finding

SOURCE = "yara"
DEFAULT_MAX_ENTRY_BYTES = 64 << 20
DEFAULT_TIMEOUT_S = 10
MAX_FINDINGS_PER_RULE = 20
MAX_STRINGS_IN_EVIDENCE = 8
MAX_ENTRY_NAMES = 100_000
ELF_MAGIC = b"\x7fELF"


def _ignore_warning(warning_type: int, message: object) -> int:
    # "too many matches for string $x": yara caps matches per string; the rule still evaluates
    return yara.CALLBACK_CONTINUE


def entry_kind(name: str, data: bytes) -> str:
    """Content decides for code (a DEX hidden in assets is "dex"), location for the rest."""
    head = data[:8]
    if is_dex(head):
        return "dex"
    if head[:4] == ELF_MAGIC:
        return "elf"
    if is_raw_resource(name):
        return "raw"
    return "asset"


wanted = is_content_entry  # one definition of the entries content analyzers read


class YaraConsumer:
    """Entry consumer for Archive.for_each_entry; ``finish()`` returns the findings."""

    name = SOURCE

    def __init__(self, ctx: Any, ruleset: RuleSet | None = None) -> None:
        self.ctx = ctx
        self._error: str | None = None
        self.ruleset = ruleset
        if ruleset is None:
            try:
                self.ruleset = load_rules(getattr(ctx.config, "rules_dirs", ()) or ())
            except (RulesError, OSError) as e:
                self._error = str(e)
        self.max_bytes = int(limit(ctx, "yara_max_entry_bytes", DEFAULT_MAX_ENTRY_BYTES))
        self.timeout = max(1, int(round(float(limit(ctx, "yara_timeout_s", DEFAULT_TIMEOUT_S)))))
        facts = getattr(ctx, "facts", None)
        self.package = str(getattr(facts, "package", "") or "")
        self.label = str(getattr(facts, "label", "") or "")
        self._matches: dict[str, list[Finding]] = {}
        self._omitted: dict[str, int] = {}
        self._skipped: list[dict[str, Any]] = []
        self._timeouts: list[str] = []
        self.scanned = 0

    # -- entry consumer protocol ---------------------------------------------------------
    def wants(self, entry: Any) -> bool:
        if self.ruleset is None or is_dir_entry(entry) or not wanted(entry.name):
            return False
        if declared_size(entry) > self.max_bytes:
            self._skipped.append({"entry": entry.name, "size": declared_size(entry), "cap": self.max_bytes})
            return False
        return True

    def consume(self, entry: Any, data: bytes) -> None:
        if len(data) > self.max_bytes:
            self._skipped.append({"entry": entry.name, "size": len(data), "cap": self.max_bytes})
            return
        self.scan(data, entry.name, entry_kind(entry.name, data), entry_path(self.ctx, entry.name))

    def entry_error(self, entry: Any, error: Exception) -> None:
        pass  # the archive layer reports unreadable entries itself

    # -- scanning --------------------------------------------------------------------------
    def scan(self, data: bytes, name: str, kind: str, path: str) -> None:
        """Run the kind's plan (yara_engine.RuleSet.plan): the rule files that can match this
        kind, a DEX's string data section for the rules that only need it."""
        if self.ruleset is None:
            return
        externals = {"package": self.package, "label": self.label, "entry_name": name, "entry_kind": kind}
        scanned = False
        for step in self.ruleset.plan(kind):
            buf, base = data, 0
            if step.part == "dex_strings":
                span = string_data_span(data)
                if span is not None:
                    base = span[0]
                    buf = memoryview(data)[span[0]:span[1]]
            try:
                matches = step.rules.match(data=buf, externals=externals, timeout=self.timeout,
                                           warnings_callback=_ignore_warning)
            except yara.TimeoutError:
                self._timeouts.append(path or name)
                return
            except yara.Error as e:
                self._skipped.append({"entry": name, "error": str(e)[:200]})
                return
            scanned = True
            for m in matches:
                self._record(m, name, kind, path, base)
        self.scanned += scanned

    def _record(self, match: Any, name: str, kind: str, path: str, base: int = 0) -> None:
        meta = rule_meta(match.meta, match.rule)
        rid = meta["id"]
        found = self._matches.setdefault(rid, [])
        if len(found) >= MAX_FINDINGS_PER_RULE:
            self._omitted[rid] = self._omitted.get(rid, 0) + 1
            return
        strings = []
        for s in match.strings[:MAX_STRINGS_IN_EVIDENCE]:
            inst = s.instances[0] if s.instances else None
            if inst is not None:
                strings.append({"id": s.identifier, "offset": base + inst.offset, "data": printable(inst.matched_data, 64)})
        evidence = {
            "rule": match.rule,
            "namespace": match.namespace,
            "entry": name,
            "entry_kind": kind,
            "family": meta["family"],
            "reference": meta["reference"],
            "strings": strings,
        }
        found.append(
            Finding(
                id=rid,
                severity=meta["severity"],
                title=meta["title"],
                title_vi=meta["title_vi"],
                description=meta["description"],
                description_vi=meta["description_vi"],
                evidence=evidence,
                source=SOURCE,
                path=path,
            )
        )

    def finish(self) -> list[Finding]:
        if self._error is not None:
            return [make_finding("YARA_RULES_UNAVAILABLE", SOURCE, {"error": self._error[:500]}, apk_path(self.ctx))]
        manifest = getattr(getattr(self.ctx, "facts", None), "manifest_xml", None)
        if manifest:
            data = manifest.encode("utf-8", "replace")[: self.max_bytes]
            self.scan(data, "AndroidManifest.xml", "manifest", entry_path(self.ctx, "AndroidManifest.xml"))
        names = [str(getattr(e, "name", "")) for e in list(getattr(self.ctx.archive, "entries", ()))[:MAX_ENTRY_NAMES]]
        if names:
            # one name per line, each line starting and ending with "\n": rules match "/libx.so\n"
            listing = "\n" + "\n".join(names) + "\n"
            self.scan(listing.encode("utf-8", "replace"), "", "entry_names", apk_path(self.ctx))
        out: list[Finding] = []
        for rid, found in self._matches.items():
            out.extend(found)
            if rid in self._omitted:
                out.append(make_finding("YARA_MATCHES_OMITTED", SOURCE,
                                        {"rule_id": rid, "omitted": self._omitted[rid]}, apk_path(self.ctx)))
        if self._timeouts:
            out.append(make_finding("YARA_TIMEOUT", SOURCE,
                                    {"entries": self._timeouts[:50], "timeout_s": self.timeout}, apk_path(self.ctx)))
        if self._skipped:
            out.append(make_finding("YARA_ENTRY_SKIPPED", SOURCE, {"entries": self._skipped[:50]}, apk_path(self.ctx)))
        return out


class YaraAnalyzer(EntryPassAnalyzer):
    name = SOURCE

    def make_consumer(self, ctx: Any):
        return YaraConsumer(ctx)
