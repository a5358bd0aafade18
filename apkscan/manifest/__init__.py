"""AndroidManifest.xml and resources.arsc -> model.AppFacts, reading what Android reads.

    from apkscan.manifest import extract_facts, parse_xml_resource, ManifestError
    facts = extract_facts(archive)            # raises ManifestError(code, message) only without a usable manifest
    cfg = parse_xml_resource(archive, facts.resource_files["@xml/accessibility"])   # lxml element or None

``archive`` is an ``apkscan.archive.Archive`` (anything with ``entry(name)`` and
``read(entry_or_name, max_size=None)``). Nothing here opens files: bytes come from the archive.
ManifestError codes: MANIFEST_MISSING (no entry), MANIFEST_REJECTED (Android's parser would
refuse it, so the APK cannot be installed; the message says why), LIMIT_EXCEEDED (the archive
refused to inflate it within the scan limits).
"""
from __future__ import annotations

import weakref

from apkscan.manifest.binxml import decode
from apkscan.manifest.facts import FactsBuilder
from apkscan.manifest.problems import (
    LIMIT_EXCEEDED,
    MANIFEST_MISSING,
    MANIFEST_REJECTED,
    BinaryXmlRejected,
    ManifestError,
    ProblemLog,
    split_problem,
)
from apkscan.manifest.quiet import silence_androguard
from apkscan.manifest.render import to_element
from apkscan.manifest.resources import Resolver
from apkscan.model import AppFacts

__all__ = [
    "LIMIT_EXCEEDED",
    "MANIFEST_MISSING",
    "MANIFEST_REJECTED",
    "MAX_MANIFEST",
    "ManifestError",
    "extract_facts",
    "parse_xml_resource",
    "silence_androguard",
    "split_problem",
]

MANIFEST_ENTRY = "AndroidManifest.xml"
MAX_MANIFEST = 16 << 20  # real manifests are < 3 MB; beyond this, LIMIT_EXCEEDED (bounds decode time and memory)
MAX_XML_RESOURCE = 8 << 20  # res/xml configs are a few KB; refuse to inflate more for one

silence_androguard()

# One resolver (the indexed resources.arsc) per open archive, shared by extract_facts and
# parse_xml_resource; weak keys so a closed archive frees it.
_resolvers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _resolver(archive, log: ProblemLog) -> Resolver:
    try:
        cached = _resolvers.get(archive)
    except TypeError:  # archive type without weakref support
        cached = None
    if cached is not None:
        log.extend(cached.log)
        return Resolver(cached.table, log)
    resolver = Resolver.from_archive(archive, log)
    try:
        _resolvers[archive] = Resolver(resolver.table, _copy(log))
    except TypeError:
        pass
    return resolver


def _copy(log: ProblemLog) -> ProblemLog:
    copy = ProblemLog(log.limit)
    copy.extend(log)
    return copy


def _read(archive, entry, max_size=None) -> bytes:
    try:
        return bytes(archive.read(entry, max_size=max_size))
    except Exception as exc:  # noqa: BLE001 - ArchiveError (its code says which) or a foreign archive's error
        code = getattr(exc, "code", None)
        reason = getattr(exc, "message", None) or str(exc)
        if code == "LIMIT_EXCEEDED":
            raise ManifestError(LIMIT_EXCEEDED, f"{MANIFEST_ENTRY}: {reason}") from None
        raise ManifestError(MANIFEST_REJECTED, f"{MANIFEST_ENTRY} cannot be inflated: {reason}") from None


def extract_facts(archive) -> AppFacts:
    """Facts about the app as Android would install it; tolerated corruption in manifest_problems."""
    entry = archive.entry(MANIFEST_ENTRY)
    if entry is None:
        raise ManifestError(MANIFEST_MISSING, f"the APK has no {MANIFEST_ENTRY}")
    data = _read(archive, entry, MAX_MANIFEST)
    log = ProblemLog()
    try:
        doc = decode(data, log)
        facts = FactsBuilder(archive, doc, _resolver(archive, log), log).build()
    except BinaryXmlRejected as exc:
        raise ManifestError(MANIFEST_REJECTED, f"{MANIFEST_ENTRY} would be refused by Android: {exc}") from None
    return facts


def parse_xml_resource(archive, entry_name: str, resolve_values: bool = True):
    """A compiled res/xml file as an lxml element (attributes named ``{android-ns}name``), or None.

    With ``resolve_values`` a reference to a string/boolean/number resource reads as its default
    value (``android:packageNames="@string/targets"`` -> ``"com.vnid"``); file references stay
    ``@type/name``. None when the entry is absent, too big, or binary XML Android would refuse.
    """
    try:
        entry = archive.entry(entry_name)
        if entry is None:
            return None
        data = bytes(archive.read(entry, max_size=MAX_XML_RESOURCE))
    except Exception:  # noqa: BLE001 - unreadable entry: nothing to parse
        return None
    log = ProblemLog()
    try:
        doc = decode(data, log)
        return to_element(doc, _resolver(archive, log), resolve_values=resolve_values)
    except BinaryXmlRejected:
        return None
