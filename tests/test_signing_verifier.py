"""The verification facade: the two archive passes, apksig's SDK rules, stripping protection,
v4, and failure modes that must never read as "verified"."""
from __future__ import annotations

import hashlib
import struct
import subprocess

import pytest

from apkscan.archive import open_archive
from apkscan.samples.build import Factory
from apkscan.samples.testkeys import load_test_key
from apkscan.signing import block, prepare_verification, verify_apk
from apkscan.signing.sign import sign_apk
from conftest import require_tool


@pytest.fixture(scope="module")
def keys():
    return load_test_key("TEST-ONLY-vneid-reference-standin"), load_test_key("TEST-ONLY-vneid-rotated-standin")


@pytest.fixture(scope="module")
def apks(keys):
    rsa, ec = keys
    factory = Factory(sign=False)
    legacy, modern = factory.apk("benign-flashlight-legacy"), factory.apk("benign-notes")
    return {
        "legacy-v1v2v3": sign_apk(legacy, [rsa], min_sdk=19),
        "legacy-v1": sign_apk(legacy, [rsa], schemes=("v1",), min_sdk=19),
        "modern-v1": sign_apk(modern, [rsa], schemes=("v1",), min_sdk=26),
        "modern-v2v3": sign_apk(modern, [ec], schemes=("v2", "v3")),
        "modern-v31": sign_apk(modern, [ec], schemes=("v2", "v3"), lineage=[rsa, ec], v3_rotation_min_sdk=33),
    }


def _write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _retag(apk: bytes, old_id: int, new_id: int) -> bytes:
    """Change one pair id inside the APK Signing Block (how apksig's tests strip a scheme)."""
    eocd = apk.rfind(b"PK\x05\x06")
    cd_size, cd_offset = struct.unpack_from("<II", apk, eocd + 12)
    sb = block.locate(lambda o, n: apk[o:o + n], cd_offset, cd_size, eocd)
    pos = sb.offset + 8
    while pos < cd_offset - 24:
        length, ident = struct.unpack_from("<QI", apk, pos)
        if ident == old_id:
            return apk[:pos + 8] + struct.pack("<I", new_id) + apk[pos + 12:]
        pos += 8 + length
    raise AssertionError("pair not found")


def _strip_block(apk: bytes) -> bytes:
    eocd = apk.rfind(b"PK\x05\x06")
    cd_size, cd_offset = struct.unpack_from("<II", apk, eocd + 12)
    sb = block.locate(lambda o, n: apk[o:o + n], cd_offset, cd_size, eocd)
    out = apk[:sb.offset] + apk[cd_offset:eocd] + apk[eocd:eocd + 16] + struct.pack("<I", sb.offset) + apk[eocd + 20:]
    return out


def _names(issues) -> set[str]:
    return {i.name for i in issues}


def test_session_reads_the_file_once_and_entries_once(apks, tmp_path):
    path = _write(tmp_path, "a.apk", apks["legacy-v1v2v3"])
    arc = open_archive(path)
    session = prepare_verification(arc)
    assert session.file_consumers and session.entry_consumers  # minSdk 19: JAR signature needed too
    hashes = arc.stream(session.file_consumers)
    arc.for_each_entry(session.entry_consumers)
    result = session.finish()
    arc.close()
    assert hashes["sha256"] == hashlib.sha256(apks["legacy-v1v2v3"]).hexdigest()
    assert result.verified and result.schemes == ("v1", "v2", "v3")
    assert result.blocks_present == ("v1", "v2", "v3")


def test_modern_apk_needs_no_entry_pass(apks, tmp_path):
    arc = open_archive(_write(tmp_path, "m.apk", apks["modern-v2v3"]))
    session = prepare_verification(arc)
    assert session.entry_consumers == []  # minSdk 26 >= 24: the JAR signature is irrelevant
    arc.stream(session.file_consumers)
    assert session.finish().verified is True
    arc.close()


def test_skipping_the_stream_never_verifies(apks, tmp_path):
    arc = open_archive(_write(tmp_path, "m.apk", apks["modern-v2v3"]))
    result = prepare_verification(arc).finish()
    arc.close()
    assert result.verified is None and result.signers == ()  # "could not check", never "verified"
    assert "VERIFICATION_INCOMPLETE" in _names(result.issues)


def test_target_sdk_30_requires_v2(apks, tmp_path):
    result = verify_apk(_write(tmp_path, "v1.apk", apks["modern-v1"]))
    assert result.verified is False
    assert "MIN_SIG_SCHEME_FOR_TARGET_SDK_NOT_MET" in _names(result.issues)
    # below the target SDK the rule does not apply
    assert verify_apk(tmp_path / "v1.apk", max_sdk=29).verified is True


def test_v3_block_stripped_is_detected_by_v2(apks, tmp_path):
    stripped = _retag(apks["modern-v2v3"], block.V3_BLOCK_ID, block.VERITY_PADDING_BLOCK_ID)
    result = verify_apk(_write(tmp_path, "s.apk", stripped))
    assert result.verified is False
    assert "V2_SIG_MISSING_APK_SIG_REFERENCED" in _names(result.issues)
    # Android before 9 does not know v3: stripping it is invisible there
    assert verify_apk(tmp_path / "s.apk", max_sdk=27).verified is True


def test_signing_block_stripped_is_detected_by_jar_signature(apks, tmp_path):
    result = verify_apk(_write(tmp_path, "s.apk", _strip_block(apks["legacy-v1v2v3"])))
    assert result.verified is False
    assert "JAR_SIG_MISSING_APK_SIG_REFERENCED" in _names(result.issues)
    assert verify_apk(tmp_path / "s.apk", max_sdk=23).verified is True


def test_v31_block_stripped_is_detected_by_v3(apks, tmp_path, keys):
    stripped = _retag(apks["modern-v31"], block.V31_BLOCK_ID, block.VERITY_PADDING_BLOCK_ID)
    result = verify_apk(_write(tmp_path, "s.apk", stripped))
    assert result.verified is False and "V31_BLOCK_MISSING" in _names(result.issues)
    older = verify_apk(tmp_path / "s.apk", max_sdk=32)
    assert older.verified and older.signers[0].cert_sha256 == hashlib.sha256(keys[0].certificate_der).hexdigest()


def test_jar_only_apk_on_old_platforms(apks, tmp_path):
    path = _write(tmp_path, "v1.apk", apks["legacy-v1"])
    result = verify_apk(path)
    assert result.verified and result.schemes == ("v1",) and result.blocks_present == ("v1",)


def test_caller_sdk_range_errors_are_results(apks, tmp_path):
    path = _write(tmp_path, "m.apk", apks["modern-v2v3"])
    for bad in (verify_apk(path, min_sdk=30, max_sdk=20), verify_apk(path, min_sdk=-1)):
        assert bad.verified is None and _names(bad.issues) == {"INVALID_SDK_RANGE"}, bad.issues
    # minSdk from the manifest (26) above the requested max: apksig refuses the range too; nothing
    # was checked, so the verdict is "not verified" without claiming the APK is broken
    above = verify_apk(path, max_sdk=24)
    assert above.verified is None and _names(above.issues) == {"INVALID_SDK_RANGE"}
    assert "26" in above.issues[0].message and "24" in above.issues[0].message
    # what the APK carries is named before the range is checked: never an "unsigned" look
    ec = load_test_key("TEST-ONLY-vneid-rotated-standin")
    for stopped in (bad, above):
        assert stopped.blocks_present == ("v2", "v3") and stopped.signers == ()
        assert [c.cert_sha256 for c in stopped.extracted_certificates] == [hashlib.sha256(ec.certificate_der).hexdigest()]


def test_not_a_zip_and_missing_manifest(tmp_path, keys):
    junk = verify_apk(_write(tmp_path, "junk.apk", b"definitely not a zip" * 10))
    assert junk.verified is False and "MALFORMED_APK" in _names(junk.issues)
    from apkscan.samples.zipwriter import ZipEntry, write_zip
    no_manifest = sign_apk(write_zip([ZipEntry("classes.dex", b"dex\n035\0" + bytes(100))]), [keys[0]],
                           schemes=("v2",))
    result = verify_apk(_write(tmp_path, "nm.apk", no_manifest))
    assert result.verified is False and "MALFORMED_APK" in _names(result.issues)
    # apksig's verdict (ApkFormatException: no manifest, nothing to install), but the block is named
    assert result.blocks_present == ("v2",)
    assert [c.cert_sha256 for c in result.extracted_certificates] == [hashlib.sha256(keys[0].certificate_der).hexdigest()]


def test_stopped_verification_still_names_the_signature(signing_corpus):
    """apksig test APKs whose verification stops early (empty archive, missing manifest, a badly
    framed block Android ignores): the verdict is apksig's, and the signature is still named."""
    empty_v2 = verify_apk(signing_corpus / "v2-only-empty.apk")  # the archive has no entries
    assert empty_v2.verified is False and empty_v2.blocks_present == ("v2",)
    assert len(empty_v2.extracted_certificates) == 1 and empty_v2.signers == ()
    empty_v1 = verify_apk(signing_corpus / "v1-only-empty.apk")  # JAR files, no AndroidManifest.xml
    assert empty_v1.verified is False and empty_v1.blocks_present == ("v1",)
    assert len(empty_v1.extracted_certificates) == 1
    framed = verify_apk(signing_corpus / "v2-only-apk-sig-block-size-mismatch.apk")
    assert framed.verified is False and framed.blocks_present == ("v2",)
    assert [w.name for w in framed.warnings] == ["APK_SIG_BLOCK_MALFORMED"]
    assert "header and footer do not match" in framed.warnings[0].message
    assert "v2" not in framed.schemes and framed.extracted_certificates == ()
    # nothing signature-like: nothing named
    assert verify_apk(signing_corpus / "v3-only-empty.apk").blocks_present == ()


def test_unreadable_min_sdk_is_not_checked(tmp_path, keys):
    """apksig throws MinSdkVersionException when minSdkVersion cannot be read: no verdict, the
    issue says why and how to choose the range; with an explicit range the APK verifies."""
    from apkscan.samples.zipwriter import ZipEntry, write_zip
    broken = write_zip([ZipEntry("AndroidManifest.xml", b"\0\0\x08\0" + bytes(60)),
                        ZipEntry("classes.dex", b"dex\n035\0" + bytes(100))])
    path = _write(tmp_path, "bm.apk", sign_apk(broken, [keys[0]], schemes=("v1", "v2", "v3"), min_sdk=19))
    result = verify_apk(path)
    assert result.verified is None and _names(result.issues) == {"MIN_SDK_VERSION_UNKNOWN"}
    assert result.blocks_present == ("v1", "v2", "v3") and result.signers == ()
    assert "--min-sdk" in result.issues[0].message
    assert verify_apk(path, min_sdk=24).verified is True


def test_v4_signature(apks, keys, tmp_path):
    from apkscan.signing import v3
    from apkscan.signing.v4 import build_idsig
    apk = apks["modern-v2v3"]
    path = _write(tmp_path, "m.apk", apk)
    eocd = apk.rfind(b"PK\x05\x06")
    cd_size, cd_offset = struct.unpack_from("<II", apk, eocd + 12)
    sb = block.locate(lambda o, n: apk[o:o + n], cd_offset, cd_size, eocd)
    digest = v3.parse(sb.find(block.V3_BLOCK_ID), "v3", 28, 0x7FFFFFFF).signers[0].digests[0][1]
    idsig = _write(tmp_path, "m.apk.idsig", build_idsig(apk, keys[1], digest))
    result = verify_apk(path, idsig_path=idsig)
    assert result.verified and "v4" in result.schemes
    apksigner = require_tool("apksigner")  # apkscan's checks above have run either way
    out = subprocess.run([apksigner, "verify", "-v", "--v4-signature-file", str(idsig), str(path)],
                         capture_output=True, text=True, timeout=120)
    assert "Verified using v4 scheme (APK Signature Scheme v4): true" in out.stdout, out.stdout + out.stderr
    # the same .idsig for another APK: its signature covers the file size and Merkle root
    other = verify_apk(_write(tmp_path, "o.apk", apks["modern-v31"]), idsig_path=idsig)
    assert other.verified is False and "V4_SIG_DID_NOT_VERIFY" in _names(other.issues)
    # a wrong key (v4 signer differs from the v3 signer)
    wrong = _write(tmp_path, "w.idsig", build_idsig(apk, keys[0], digest))
    assert "V4_SIG_V2_V3_SIGNERS_MISMATCH" in _names(verify_apk(path, idsig_path=wrong).issues)


def test_v41_idsig_from_apksig(signing_corpus):
    apk = signing_corpus / "v31-rsa-2048_2-tgt-10000-dev-release.apk"
    result = verify_apk(apk, idsig_path=signing_corpus / "v31-rsa-2048_2-tgt-10000-dev-release.apk.idsig")
    assert result.verified and result.schemes[-1] == "v4"


def test_memory_does_not_grow_with_apk_size(keys, tmp_path):
    """v2/v3 verification streams the file: peak Python allocations stay far below the APK size."""
    import io
    import os
    import tracemalloc
    import zipfile

    from apkscan.samples.zipwriter import ZipEntry, default_entry, write_zip
    base = zipfile.ZipFile(io.BytesIO(Factory(sign=False).apk("benign-notes")))
    peaks = {}
    for mb in (2, 24):
        entries = [default_entry(i.filename, base.read(i)) for i in base.infolist()]
        entries.append(ZipEntry("assets/blob.bin", os.urandom(mb << 20), compress=False))
        path = _write(tmp_path, f"big{mb}.apk", sign_apk(write_zip(entries), [keys[1]], schemes=("v2", "v3")))
        tracemalloc.start()
        result = verify_apk(path)
        peaks[mb] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert result.verified is True
    assert peaks[24] < 8 << 20, peaks  # a few 1 MiB buffers, not the 24 MiB file
    assert peaks[24] < peaks[2] + (2 << 20), peaks


def test_hostile_inputs_never_raise(malformed_corpus):
    import json
    names = [json.loads(line)["file"] for line in (malformed_corpus / "expected.jsonl").read_text().splitlines()
             if line.strip()]
    assert names
    for name in names:
        result = verify_apk(malformed_corpus / name)
        assert result.verified in (True, False, None), name
        assert "UNEXPECTED_EXCEPTION" not in _names(result.issues), (name, result.issues)
        if result.verified is False:
            assert result.issues, name  # a refusal always says why


def test_hostile_corpus_verdicts_match_apksigner(malformed_corpus):
    """apksigner 31's verdict on each hostile input: the same verdict and signers, except where
    apkscan's own limits stop it, or where apksigner throws because minSdkVersion cannot be read
    (then "not checked", never "verified")."""
    import json
    rows = [json.loads(line) for line in (malformed_corpus / "expected.jsonl").read_text().splitlines() if line.strip()]
    not_checked = []
    for row in rows:
        result = verify_apk(malformed_corpus / row["file"])
        expected = row["apksigner_31"]
        if result.verified is None:
            allowed = {"VERIFICATION_INCOMPLETE", "APK_SIG_BLOCK_TOO_LARGE"}
            if expected["verdict"] == "exception":
                allowed.add("MIN_SDK_VERSION_UNKNOWN")
            assert _names(result.issues) <= allowed, row["file"]
            not_checked.append(row["file"])
            continue
        assert result.verified is (expected["verdict"] == "verifies"), (row["file"], result.issues)
        if result.verified:
            assert sorted(s.cert_sha256 for s in result.signers) == sorted(expected["signers_cert_sha256"])
    assert sorted(not_checked) == ["axml-bad-chunk-type__resigned.apk", "zipbomb-1GiB-zeros__resigned.apk"]


def test_corrupted_signing_block_fails_cleanly(apks, keys, tmp_path):
    """Random byte damage inside the v2/v3/v3.1 records: a clean refusal with an apksig issue,
    never an exception, never a certificate other than the real signers'."""
    import random
    apk = apks["modern-v31"]
    eocd = apk.rfind(b"PK\x05\x06")
    cd_size, cd_offset = struct.unpack_from("<II", apk, eocd + 12)
    sb = block.locate(lambda o, n: apk[o:o + n], cd_offset, cd_size, eocd)
    allowed = {hashlib.sha256(k.certificate_der).hexdigest() for k in keys}
    rng = random.Random(7)
    path = tmp_path / "fuzz.apk"
    for _ in range(60):
        damaged = bytearray(apk)
        for _ in range(rng.choice((1, 2, 3))):
            damaged[rng.randrange(sb.offset + 8, sb.offset + 2048)] ^= rng.randrange(1, 256)
        path.write_bytes(bytes(damaged))
        result = verify_apk(path)
        assert result.verified in (True, False)
        assert "UNEXPECTED_EXCEPTION" not in _names(result.issues)
        assert {s.cert_sha256 for s in result.signers} <= allowed
