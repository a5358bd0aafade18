"""Stage 5 of v1 verification: each .SF must cover MANIFEST.MF (its whole-manifest digest or,
failing that, a digest per section, with the algorithms digests_to_verify picks for the API
levels), and its X-Android-APK-Signed attribute protects v2+ signatures from being stripped
(apksig V1SchemeVerifier.Signer.verifySigFileAgainstManifest, checkForStrippedApkSignatures).
"""
from __future__ import annotations

from apkscan.model import SigningIssue
from apkscan.signing import jar_manifest
from apkscan.signing.jar_manifest import Section, digests_to_verify, parse_apk_signed_ids
from apkscan.signing.v1_signers import N, P, Fatal, JarSigner, b64, issue, jca_digest

MANIFEST_ENTRY_NAME = "META-INF/MANIFEST.MF"
SF_ATTRIBUTE_ANDROID_APK_SIGNED = "X-Android-APK-Signed"

# APK Signature Scheme ids named in X-Android-APK-Signed that apksig knows, by the newest platform
# checked (ApkVerifier.getSupportedSchemeNames).
SCHEME_NAMES = {2: "APK Signature Scheme v2", 3: "APK Signature Scheme v3"}


def supported_scheme_names(max_sdk: int) -> dict[int, str]:
    if max_sdk >= P:
        return dict(SCHEME_NAMES)
    if max_sdk >= N:
        return {2: SCHEME_NAMES[2]}
    return {}


def check_sf_digests(signer: JarSigner, manifest_bytes: bytes, manifest_main: Section,
                     sections: dict[str, Section], min_sdk: int, max_sdk: int) -> None:
    """The .SF checks apksig makes after the anti-stripping check, recorded apart so that
    finish() can order them behind it."""
    try:
        signer.sf_main, signer.sf_sections = jar_manifest.parse(signer.sf_bytes)
    except jar_manifest.ManifestFormatError as e:
        raise Fatal(issue("VERIFICATION_INCOMPLETE", f"{signer.sf_name}: {e}")) from e
    main = signer.sf_main
    if main is None or main.get("Signature-Version") is None:
        signer.error("JAR_SIG_MISSING_VERSION_ATTR_IN_SIG_FILE", signer.sf_name)
        signer.ignored = signer.version_missing = True
        return
    errors, warnings = signer.digest_errors, signer.digest_warnings

    def err(name, *params):
        errors.append(issue(name, *params, signer=signer.name))

    try:
        created_by = main.get("Created-By")
        signtool = created_by is not None and "signtool" in created_by
        # Whole-manifest digest: a mismatch is only a warning (the sections are checked instead).
        expected = digests_to_verify(main, "-Digest" if signtool else "-Digest-Manifest", min_sdk, max_sdk)
        manifest_verified = bool(expected)
        if not expected:
            warnings.append(issue("JAR_SIG_NO_MANIFEST_DIGEST_IN_SIG_FILE", signer.sf_name, signer=signer.name))
        for alg, digest in expected:
            signer.sf_digests.add(alg)
            actual = jca_digest(alg, manifest_bytes)
            if actual != digest:
                warnings.append(issue("JAR_SIG_ZIP_ENTRY_DIGEST_DID_NOT_VERIFY", MANIFEST_ENTRY_NAME, alg,
                                      signer.sf_name, b64(actual), b64(digest), signer=signer.name))
                manifest_verified = False
        if not signtool:
            main_section = manifest_main
            for alg, digest in digests_to_verify(main, "-Digest-Manifest-Main-Attributes", min_sdk, max_sdk):
                signer.sf_digests.add(alg)
                actual = jca_digest(alg, main_section.bytes_of(manifest_bytes))
                if actual != digest:
                    err("JAR_SIG_MANIFEST_MAIN_SECTION_DIGEST_DID_NOT_VERIFY", alg, signer.sf_name,
                        b64(actual), b64(digest))
        if errors:
            return
        names: set[str] = set()
        for number, sf_section in enumerate(signer.sf_sections, 1):
            name = sf_section.name
            if name is None:
                err("JAR_SIG_UNNNAMED_SIG_FILE_SECTION", signer.sf_name, number)
                signer.ignored = True
                return
            if name in names:
                err("JAR_SIG_DUPLICATE_SIG_FILE_SECTION", signer.sf_name, name)
                signer.ignored = True
                return
            names.add(name)
            if manifest_verified:
                continue
            section = sections.get(name)
            if section is None:
                err("JAR_SIG_NO_ZIP_ENTRY_DIGEST_IN_SIG_FILE", name, signer.sf_name)
                signer.ignored = True
                continue
            _check_section_digest(signer, sf_section, section, signtool, err, manifest_bytes, min_sdk, max_sdk)
        signer.entry_names = names
    except jar_manifest.Base64Error as e:
        signer.digest_failure = e

def _check_section_digest(signer: JarSigner, sf_section: Section, section: Section, signtool: bool, err,
                          manifest_bytes: bytes, min_sdk: int, max_sdk: int) -> None:
    name = sf_section.name
    expected = digests_to_verify(sf_section, "-Digest", min_sdk, max_sdk)
    if not expected:
        err("JAR_SIG_NO_ZIP_ENTRY_DIGEST_IN_SIG_FILE", name, signer.sf_name)
        return
    start, size = section.start, section.size
    data = manifest_bytes
    if signtool and size >= 2 and data[start + size - 1] == 0x0A and data[start + size - 2] == 0x0A:
        size -= 1  # signtool digested the section without the final blank line
    for alg, digest in expected:
        signer.sf_digests.add(alg)
        actual = jca_digest(alg, data[start : start + size])
        if actual != digest:
            err("JAR_SIG_MANIFEST_SECTION_DIGEST_DID_NOT_VERIFY", name, alg, signer.sf_name,
                b64(actual), b64(digest))

def stripping_issues(signer: JarSigner, found_scheme_ids, max_sdk: int) -> tuple[list[SigningIssue], list[SigningIssue]]:
    """Android N+ rejects an APK whose .SF says it was also signed with an APK Signature Scheme
    that is not present (X-Android-APK-Signed)."""
    errors: list[SigningIssue] = []
    warnings: list[SigningIssue] = []
    value = signer.sf_main.get(SF_ATTRIBUTE_ANDROID_APK_SIGNED) if signer.sf_main else None
    found = found_scheme_ids or frozenset()
    if value is None:
        if found:
            warnings.append(issue("JAR_SIG_NO_APK_SIG_STRIP_PROTECTION", signer.sf_name, signer=signer.name))
        return errors, warnings
    supported = supported_scheme_names(max_sdk)
    if not supported:
        return errors, warnings
    expected: list[int] = []
    for scheme_id in parse_apk_signed_ids(value):
        if scheme_id in supported:
            if scheme_id not in expected:
                expected.append(scheme_id)
        else:
            warnings.append(issue("JAR_SIG_UNKNOWN_APK_SIG_SCHEME_ID", signer.sf_name, scheme_id, signer=signer.name))
    for scheme_id in expected:
        if scheme_id not in found:
            errors.append(issue("JAR_SIG_MISSING_APK_SIG_REFERENCED", signer.sf_name, scheme_id,
                                supported[scheme_id], signer=signer.name))
    return errors, warnings
