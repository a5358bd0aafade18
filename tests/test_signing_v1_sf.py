"""Hand-made .SF (signature) files signed by a real key: the checks V1Verifier makes between the
signature file and the manifest, as apksig V1SchemeVerifier does."""
from __future__ import annotations

import pytest

from v1_kit import app_entries, attacker_key, genuine_key, names, verify, write_apk


@pytest.fixture(scope="module")
def genuine():
    return genuine_key()


@pytest.fixture(scope="module")
def attacker():
    return attacker_key()


# -- hand-made .SF files: the checks between the signature file and the manifest ---------------


def _b64_sha1(data: bytes) -> str:
    import base64
    import hashlib

    return base64.b64encode(hashlib.sha1(data).digest()).decode()


def _custom_sf_apk(tmp_path, key, sf_builder, name="sf.apk", entries=None):
    """Sign a .SF made by ``sf_builder(manifest_bytes, sections)`` with ``key`` (SHA-1)."""
    from apkscan.signing import jar_manifest
    from apkscan.signing.jar_signer import build_manifest, sign_signature_file

    entries = entries or app_entries()
    manifest, sections = build_manifest(entries, "SHA-1")
    sf = sf_builder(manifest, sections)
    block = sign_signature_file(key, sf, "SHA-1")
    files = entries + [("META-INF/MANIFEST.MF", manifest), ("META-INF/CERT.SF", sf), ("META-INF/CERT.RSA", block)]
    assert jar_manifest.parse(sf)[0] is not None
    return write_apk(tmp_path / name, files)


def _sf(main: dict, sections: dict, version=True) -> bytes:
    from apkscan.signing import jar_manifest

    out = jar_manifest.write_main_section(("Signature-Version", "1.0"), main) if version else \
        jar_manifest.write_main_section(("Created-By", "x"), main)
    for entry, attrs in sections.items():
        out += jar_manifest.write_individual_section(entry, attrs)
    return out


def _per_section(sections, skip=()):
    return {n: {"SHA1-Digest": _b64_sha1(b)} for n, b in sections.items() if n not in skip}


def test_sf_without_whole_manifest_digest(tmp_path, attacker):
    path = _custom_sf_apk(tmp_path, attacker, lambda m, s: _sf({}, _per_section(s)))
    result = verify(path)
    assert result.verified
    assert [w.name for w in result.warnings] == ["JAR_SIG_NO_MANIFEST_DIGEST_IN_SIG_FILE"]


def test_sf_main_attributes_digest_checked(tmp_path, attacker):
    path = _custom_sf_apk(tmp_path, attacker, lambda m, s: _sf(
        {"SHA1-Digest-Manifest": _b64_sha1(m), "SHA1-Digest-Manifest-Main-Attributes": _b64_sha1(b"other")},
        _per_section(s)))
    assert names(verify(path)) == ["JAR_SIG_MANIFEST_MAIN_SECTION_DIGEST_DID_NOT_VERIFY"]


def test_sf_without_signature_version_is_ignored(tmp_path, attacker):
    path = _custom_sf_apk(tmp_path, attacker, lambda m, s: _sf({"SHA1-Digest-Manifest": _b64_sha1(m)},
                                                              _per_section(s), version=False))
    result = verify(path)
    assert names(result) == ["JAR_SIG_NO_SIGNATURES"]
    assert [w.name for w in result.warnings] == ["JAR_SIG_MISSING_VERSION_ATTR_IN_SIG_FILE"]


def test_signtool_digest_attribute(tmp_path, attacker):
    """Netscape signtool wrote the manifest digest as "SHA1-Digest" in the main section."""
    path = _custom_sf_apk(tmp_path, attacker, lambda m, s: _sf(
        {"Created-By": "signtool (signtool 1.3)", "SHA1-Digest": _b64_sha1(m)}, _per_section(s)))
    assert verify(path).verified


def test_entry_missing_from_sf(tmp_path, attacker):
    path = _custom_sf_apk(tmp_path, attacker, lambda m, s: _sf({}, _per_section(s, skip={"classes.dex"})))
    assert names(verify(path)) == ["JAR_SIG_ZIP_ENTRY_NOT_SIGNED"]


def test_sf_section_for_unknown_entry_ignores_signer(tmp_path, attacker):
    def build(m, s):
        sections = _per_section(s)
        sections["ghost.dex"] = {"SHA1-Digest": _b64_sha1(b"x")}
        return _sf({}, sections)

    result = verify(_custom_sf_apk(tmp_path, attacker, build))
    assert names(result) == ["JAR_SIG_NO_SIGNATURES"]
    assert "JAR_SIG_NO_ZIP_ENTRY_DIGEST_IN_SIG_FILE" in [w.name for w in result.warnings]


def test_signers_covering_different_entries(tmp_path, genuine, attacker):
    """Android requires every entry to be signed by the same set of signers."""
    from apkscan.signing.jar_signer import build_manifest, sign_signature_file

    entries = app_entries()
    manifest, sections = build_manifest(entries, "SHA-1")
    full = _sf({}, _per_section(sections))
    partial = _sf({}, _per_section(sections, skip={"resources.arsc"}))
    files = entries + [("META-INF/MANIFEST.MF", manifest),
                       ("META-INF/A.SF", full), ("META-INF/A.RSA", sign_signature_file(genuine, full, "SHA-1")),
                       ("META-INF/B.SF", partial), ("META-INF/B.RSA", sign_signature_file(attacker, partial, "SHA-1"))]
    result = verify(write_apk(tmp_path / "two.apk", files))
    assert names(result) == ["JAR_SIG_ZIP_ENTRY_SIGNERS_MISMATCH"]
