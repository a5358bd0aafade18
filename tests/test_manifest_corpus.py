"""Conformance on the apksig corpus: facts agree with aapt (Android's own tool) and with androguard.

aapt reads the ZIP with its own rules, so only APKs it reads without complaint are compared, and
only the fields it prints."""
from __future__ import annotations

import hashlib
import re
import subprocess
import time

import pytest

from apkscan.archive import ArchiveError, open_archive
from apkscan.manifest import ManifestError, extract_facts
from apkscan.manifest.binxml import decode
from apkscan.manifest.problems import BinaryXmlRejected, ProblemLog
from apkscan.manifest.render import to_element
from apkscan.manifest.resources import Resolver
from conftest import require_tool


@pytest.fixture(scope="module")
def corpus_results(signing_corpus):
    """{file name: AppFacts | error code} for every APK of the signing corpus, and the time taken."""
    results, elapsed = {}, 0.0
    for path in sorted(signing_corpus.glob("*.apk")):
        started = time.perf_counter()
        try:
            with open_archive(path) as arc:
                results[path.name] = extract_facts(arc)
        except (ArchiveError, ManifestError) as exc:
            results[path.name] = exc.code
        elapsed += time.perf_counter() - started
    return results, elapsed


def test_every_corpus_apk_gets_facts_or_a_coded_error(corpus_results):
    results, elapsed = corpus_results
    assert len(results) >= 360
    facts = {k: v for k, v in results.items() if not isinstance(v, str)}
    assert len(facts) >= 350
    assert results["v1-only-empty.apk"] == "MANIFEST_MISSING"
    assert results["incorrect-manifest-size.apk"] == "MANIFEST_REJECTED"  # its deflated manifest is corrupt
    assert elapsed / len(results) < 0.05  # ms per APK are reported in the helper's report; 50 ms is a ceiling


def _badging(path) -> dict | None:
    proc = subprocess.run(["aapt", "dump", "badging", str(path)], capture_output=True, text=True, errors="replace",
                          check=False, timeout=60)
    out = proc.stdout
    if proc.returncode != 0 or proc.stderr.strip() or not out.startswith("package:"):
        return None  # aapt refused or complained: it read something else than Android would
    field = lambda pattern: (m.group(1) if (m := re.search(pattern, out, re.MULTILINE)) else None)
    return {
        "package": field(r"^package: name='([^']*)'"),
        "version_code": field(r"versionCode='(\d+)'"),
        "min_sdk": field(r"^sdkVersion:'([^']*)'"),
        "target_sdk": field(r"^targetSdkVersion:'([^']*)'"),
        "label": field(r"^application-label:'([^']*)'"),
        "labels": dict(re.findall(r"^application-label-([^:]+):'([^']*)'", out, re.MULTILINE)),
        "launcher": field(r"^launchable-activity: name='([^']*)'"),
        "icons": re.findall(r"^application-icon-(\d+):'([^']*)'", out, re.MULTILINE),
        "debuggable": "application-debuggable" in out,
    }


SPECIAL = ("golden-pinsapp-signed.apk", "v1-only-no-uses-sdk.apk", "original-with-versionCodeMajor.apk",
           "debuggable-boolean.apk", "debuggable-resource.apk", "v2-only-targetSandboxVersion-3.apk",
           "golden-aligned-in.apk")


def test_facts_agree_with_aapt_badging(signing_corpus, corpus_results):
    require_tool("aapt")
    results, _ = corpus_results
    names = sorted(results)
    sample = sorted(set(names[::9]) | {n for n in SPECIAL if n in results})
    compared = 0
    for name in sample:
        facts = results[name]
        expected = _badging(signing_corpus / name)
        if expected is None or isinstance(facts, str):
            continue
        compared += 1
        assert facts.package == expected["package"], name
        if expected["version_code"] is not None:  # aapt prints the low 32 bits only
            assert facts.version_code & 0xFFFFFFFF == int(expected["version_code"]), name
        if expected["min_sdk"] is not None:
            assert str(facts.min_sdk) == expected["min_sdk"], name
        else:
            assert facts.min_sdk is None, name
        if expected["target_sdk"] is not None:
            assert str(facts.target_sdk) == expected["target_sdk"], name
        if expected["label"] is not None:  # aapt prints no label for an APK without resources.arsc
            assert facts.label == expected["label"], name
        for locale, text in expected["labels"].items():
            assert facts.labels.get(locale) == text, (name, locale)
        assert facts.launcher_activity == expected["launcher"], name
        if expected["icons"]:
            assert facts.icon_path == max(expected["icons"], key=lambda i: int(i[0]))[1], name
        assert bool(facts.application.get("debuggable")) == expected["debuggable"], name
    assert compared >= 40


def test_label_without_resource_table_and_resource_booleans(corpus_results):
    results, _ = corpus_results
    # raw-string label, no resources.arsc (aapt shows label='' there; Android shows the string)
    assert results["golden-pinsapp-signed.apk"].label == "PinsApp"
    assert results["golden-pinsapp-signed.apk"].target_sdk == 28
    # android:debuggable="@bool/debuggable" resolved through resources.arsc (false by default)
    assert results["debuggable-resource.apk"].application["debuggable"] is False
    assert results["debuggable-boolean.apk"].application["debuggable"] is True
    # versionCodeMajor=1, versionCode=25: Android's long version code
    assert results["original-with-versionCodeMajor.apk"].version_code == (1 << 32) | 25
    assert results["golden-aligned-in.apk"].labels == {
        "": "Tiny App for CTS",
        "ar-XB": "\u200f\u202eTiny\u202c\u200f \u200f\u202eApp\u202c\u200f \u200f\u202efor\u202c\u200f \u200f\u202eCTS\u202c\u200f",
        "en-XA": "[Ţîñý Åþþ ƒöŕ ÇŢŠ one two three]",
    }


def _unique_manifests(signing_corpus, malformed_corpus):
    seen = {}
    for path in sorted(signing_corpus.glob("*.apk")) + sorted(malformed_corpus.glob("*.apk")):
        try:
            with open_archive(path) as arc:
                data, arsc = arc.read("AndroidManifest.xml"), (arc.read("resources.arsc") if arc.entry("resources.arsc") else None)
        except (ArchiveError, OSError):
            continue
        seen.setdefault(hashlib.sha256(data).hexdigest(), (path.name, data, arsc))
    return list(seen.values())


def test_decoded_manifests_match_androguard(signing_corpus, malformed_corpus):
    from androguard.core.axml import AXMLPrinter

    def shape(root):
        return [(el.tag, sorted(el.attrib)) for el in root.iter()]

    def plain_values(root):  # references print differently (@0x7f... vs @7F...): compare the rest
        return [(el.tag, k, v) for el in root.iter() for k, v in sorted(el.attrib.items()) if not v.startswith("@")]

    compared = 0
    for name, data, _arsc in _unique_manifests(signing_corpus, malformed_corpus):
        try:
            doc = decode(data)
        except BinaryXmlRejected:
            continue
        if doc.problems.items:  # tampered files are where the two differ on purpose (see test_manifest_hostile)
            continue
        ours = to_element(doc, Resolver(None, ProblemLog()))
        theirs = AXMLPrinter(data).get_xml_obj()
        assert shape(ours) == shape(theirs), name
        assert plain_values(ours) == plain_values(theirs), name
        compared += 1
    assert compared >= 15


def test_label_resolution_matches_androguard_arsc(signing_corpus, malformed_corpus):
    from androguard.core.axml import ARSCParser

    from apkscan.manifest.arsc import ResourceTable

    compared = 0
    for name, data, arsc in _unique_manifests(signing_corpus, malformed_corpus):
        if arsc is None:
            continue
        try:
            doc = decode(data)
        except BinaryXmlRejected:
            continue
        app = next((c for c in doc.root.children if c.name == "application"), None)
        label = next((a for a in (app.attributes if app else []) if a.res_id == 0x01010001 and a.vtype == 1), None)
        if label is None:
            continue
        table = ResourceTable(arsc)
        ours = {}
        for value in table.values(label.vdata):
            key = "-".join(x for x in (value.config.language, value.config.region) if x)
            ours[key] = table.string(value.vdata)
        theirs = {}
        for config, text in ARSCParser(arsc).get_resolved_res_configs(label.vdata):
            theirs[config.get_language_and_region().replace("\x00", "").replace("-r", "-")] = text
        assert ours == theirs, name
        compared += 1
    assert compared >= 3
