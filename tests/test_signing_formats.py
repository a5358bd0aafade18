"""Format layer of the APK Signing Block schemes: block framing, content digests (streamed in
arbitrary chunks vs in memory), the verity tree, lineage, SDK levels, algorithm selection."""
from __future__ import annotations

import hashlib
import random
import struct

import pytest

from apkscan.archive import open_archive
from apkscan.samples.build import Factory
from apkscan.samples.testkeys import load_test_key
from apkscan.signing import algorithms, block, lineage
from apkscan.signing.digests import ContentDigester, VerityTree, content_digests_of_bytes, modified_eocd
from apkscan.signing.sdk_levels import read_sdk_levels, sdk_for_codename
from apkscan.signing.sign import sign_apk
from apkscan.signing.wire import FormatError, Reader, lp


def _read_at(data: bytes):
    return lambda off, n: data[off:off + n]


def _tail(data: bytes) -> tuple[int, int, int]:
    eocd = data.rfind(b"PK\x05\x06")
    cd_size, cd_offset = struct.unpack_from("<II", data, eocd + 12)
    return cd_offset, cd_size, eocd


@pytest.fixture(scope="module")
def keys():
    return load_test_key("TEST-ONLY-vneid-reference-standin"), load_test_key("TEST-ONLY-vneid-rotated-standin")


@pytest.fixture(scope="module")
def signed(keys):
    unsigned = Factory(sign=False).apk("benign-notes")
    return sign_apk(unsigned, [keys[0]], schemes=("v2", "v3"))


def test_block_round_trip_and_page_padding():
    pairs = [(block.V2_BLOCK_ID, b"two"), (0x12345678, b"x" * 10)]
    raw = block.build(pairs)
    assert len(raw) % 4096 == 0 and raw.endswith(block.MAGIC)
    data = b"Z" * 100 + raw + b"CD"
    sb = block.locate(_read_at(data), 100 + len(raw), 2, 100 + len(raw) + 2)
    assert sb.offset == 100 and sb.size == len(raw)
    assert sb.find(block.V2_BLOCK_ID) == b"two"
    assert sb.find(0x12345678) == b"x" * 10
    assert block.VERITY_PADDING_BLOCK_ID in sb.ids()
    with pytest.raises(block.SignatureNotFound):
        sb.find(block.V3_BLOCK_ID)


@pytest.mark.parametrize("damage, reason", [
    (lambda raw: raw[:-16] + b"APK Sig Block 43", "No APK Signing Block"),
    (lambda raw: struct.pack("<Q", 5) + raw[8:], "sizes in header and footer do not match"),
    (lambda raw: raw[:-24] + struct.pack("<Q", 1 << 40) + raw[-16:], "size out of range"),
])
def test_block_framing_errors_mean_no_signature(damage, reason):
    raw = damage(block.build([(block.V2_BLOCK_ID, b"v")]))
    data = b"Z" * 64 + raw
    with pytest.raises(block.SignatureNotFound, match=reason):
        block.locate(_read_at(data), len(data), 0, len(data))


def test_block_must_touch_the_eocd_and_respects_size_limit():
    raw = block.build([(block.V2_BLOCK_ID, b"v" * 9000)])
    data = b"Z" * 64 + raw
    with pytest.raises(block.SignatureNotFound, match="not immediately followed"):
        block.locate(_read_at(data), len(data), 0, len(data) + 1)  # garbage between CD and EOCD
    with pytest.raises(block.BlockTooLarge):
        block.locate(_read_at(data), len(data), 0, len(data), max_size=4096)


def test_malformed_pair_hides_later_pairs_only():
    body = (struct.pack("<QI", 4 + 3, block.V2_BLOCK_ID) + b"abc"
            + struct.pack("<QI", 10_000, block.V3_BLOCK_ID) + b"short")
    raw = struct.pack("<Q", len(body) + 24) + body + struct.pack("<Q", len(body) + 24) + block.MAGIC
    sb = block.locate(_read_at(raw), len(raw), 0, len(raw))
    assert sb.find(block.V2_BLOCK_ID) == b"abc"
    with pytest.raises(block.SignatureNotFound, match="entry #2 size out of range"):
        sb.find(block.V3_BLOCK_ID)


def test_reader_rejects_length_prefixes_past_their_parent():
    r = Reader(lp(b"abc") + struct.pack("<I", 99) + b"xy")
    assert r.lp_bytes() == b"abc"
    with pytest.raises(FormatError):
        r.lp_bytes()


@pytest.mark.parametrize("chunk", [4095, 65536, 1 << 20, 3 * (1 << 20) + 7])
def test_streamed_content_digests_equal_in_memory_digests(chunk):
    rng = random.Random(chunk)
    entries = rng.randbytes(2 * 1024 * 1024 + 12345) + bytes(4096 - (2 * 1024 * 1024 + 12345) % 4096)
    sb_bytes = block.build([(block.V2_BLOCK_ID, b"sig")])
    cd = rng.randbytes(5000)
    eocd = b"PK\x05\x06" + bytes(8) + struct.pack("<II", len(cd), len(entries) + len(sb_bytes)) + b"\0\0"
    apk = entries + sb_bytes + cd + eocd
    algs = {algorithms.CHUNKED_SHA256, algorithms.CHUNKED_SHA512, algorithms.VERITY_CHUNKED_SHA256}
    digester = ContentDigester(algs, len(entries), len(entries) + len(sb_bytes), len(apk) - len(eocd), eocd)
    for off in range(0, len(apk), chunk):
        digester.feed(off, memoryview(apk)[off:off + chunk])
    digester.finish()
    expected = content_digests_of_bytes(algs, entries, cd, modified_eocd(eocd, len(entries)))
    assert digester.results == expected
    # the EOCD as digested points at the signing block, not at the central directory
    assert modified_eocd(eocd, len(entries))[16:20] == struct.pack("<I", len(entries))


def test_incomplete_stream_yields_no_digest():
    data = bytes(10_000)
    digester = ContentDigester({algorithms.CHUNKED_SHA256}, 4096, 8192, 9978, data[-22:])
    digester.feed(0, memoryview(data)[:1000])
    digester.feed(5000, memoryview(data)[5000:])  # a gap
    digester.finish()
    assert digester.results == {}


def test_verity_root_matches_apksig_golden_apk(signing_corpus):
    """golden-rsa-verity-out.apk carries a VERITY_CHUNKED_SHA256 digest made by apksigner."""
    path = signing_corpus / "golden-rsa-verity-out.apk"
    data = path.read_bytes()
    arc = open_archive(path)
    sb = block.locate(arc.read_at, arc.cd_offset, arc.cd_size, arc.eocd_offset)
    from apkscan.signing import v3
    result = v3.parse(sb.find(block.V3_BLOCK_ID), "v3", 28, 0x7FFFFFFF)
    declared = dict(result.signers[0].digests)[0x0421]
    got = content_digests_of_bytes({algorithms.VERITY_CHUNKED_SHA256}, data[:sb.offset],
                                   data[arc.cd_offset:arc.eocd_offset],
                                   modified_eocd(data[arc.eocd_offset:], sb.offset))
    assert got[algorithms.VERITY_CHUNKED_SHA256] == declared
    arc.close()


def test_verity_tree_levels():
    tree = VerityTree(None)
    tree.update(bytes(4096 * 130))  # 130 leaves -> 4160 bytes of hashes -> two levels
    levels = tree.tree_levels()
    assert [len(x) for x in levels] == [8192, 4096]
    leaf = hashlib.sha256(bytes(4096)).digest()
    assert levels[0][:32] == leaf and levels[0][130 * 32:] == bytes(8192 - 130 * 32)
    assert tree.root() == hashlib.sha256(levels[1]).digest()


def test_lineage_round_trip_and_tamper(keys):
    old, new = keys
    built = lineage.build([old, new])
    parsed = lineage.parse(lineage.encode(built))
    assert parsed.certificates() == (old.certificate_der, new.certificate_der)
    assert parsed.sub_lineage(old.certificate_der).certificates() == (old.certificate_der,)
    report = parsed.report()
    assert report[0]["cert_sha256"] == hashlib.sha256(old.certificate_der).hexdigest()
    assert "rollback" not in report[0]["capabilities"] and "auth" in report[0]["capabilities"]
    # the new certificate must be vouched for by the old key: a forged signature is refused
    forged = lineage.Lineage((built.nodes[0], lineage.LineageNode(
        new.certificate_der, built.nodes[1].parent_sig_alg_id, 0, b"\x00" * len(built.nodes[1].signature), 23)))
    with pytest.raises(lineage.LineageSignatureError):
        lineage.parse(lineage.encode(forged))
    with pytest.raises(lineage.LineageFormatError):
        lineage.parse(lineage.encode(built)[:-3])
    with pytest.raises(lineage.LineageVersionError):
        lineage.parse(struct.pack("<I", 2) + lineage.encode(built)[4:])


def test_signature_selection_follows_sdk_ranges():
    pss, sha512, verity = algorithms.find(0x0101), algorithms.find(0x0104), algorithms.find(0x0421)
    chosen = algorithms.signatures_to_verify([(pss, b"a"), (verity, b"b"), (sha512, b"c")], 24, 0x7FFFFFFF)
    # one per platform generation: the strongest digest of the SDK 24 ones, and the SDK 28 verity one
    assert [a.id for a, _ in chosen] == [0x0104, 0x0421]
    tie = algorithms.signatures_to_verify([(pss, b"a"), (algorithms.find(0x0103), b"b")], 24, 30)
    assert [a.id for a, _ in tie] == [0x0101]  # equal digests: the first offered one
    with pytest.raises(algorithms.NoSupportedSignatures):
        algorithms.signatures_to_verify([(verity, b"b")], 24, 0x7FFFFFFF)  # nothing for SDK 24..27
    assert algorithms.find(0x9999) is None


def test_sdk_levels_and_codenames(signing_corpus):
    assert sdk_for_codename("O") == 25 and sdk_for_codename("P") == 26 and sdk_for_codename("B") == 1
    assert sdk_for_codename("Baklava") == 34
    arc = open_archive(signing_corpus / "v2-only-targetSandboxVersion-3.apk")
    levels = read_sdk_levels(arc.read("AndroidManifest.xml"))
    assert (levels.min_sdk, levels.target_sdk, levels.target_sandbox) == (28, 33, 3)
    arc.close()
    broken = read_sdk_levels(b"\x03\x00\x08\x00garbage")
    assert broken.min_sdk is None and broken.min_error


def test_sdk_levels_read_as_apksig_reads_them():
    """ApkUtils: minSdkVersion is the max over <uses-sdk> children of the root, the first matching
    attribute of each counting, a reference read as its raw id; targetSdkVersion comes from the first
    <uses-sdk> anywhere that has one; codenames map to one below their release."""
    from apkscan.samples.axml import Element, Ref, encode_xml

    nested = Element("application", {}, [Element("uses-sdk", {"android:minSdkVersion": 30, "android:targetSdkVersion": 31})])
    doc = Element("manifest", {"package": "a.b"}, [
        Element("uses-sdk", {"android:minSdkVersion": Ref(0x10)}),
        Element("uses-sdk", {"android:minSdkVersion": 21}),
        nested,
    ])
    for utf8 in (False, True):
        levels = read_sdk_levels(encode_xml(doc, utf8=utf8))
        assert (levels.min_sdk, levels.target_sdk, levels.target_sandbox) == (21, 31, 1)
    codename = read_sdk_levels(encode_xml(Element("manifest", {"package": "a.b"}, [
        Element("uses-sdk", {"android:minSdkVersion": "P"})])))
    assert (codename.min_sdk, codename.target_sdk) == (26, 26)  # no targetSdkVersion: minSdkVersion
    for bad in ("tiramisu", True):
        levels = read_sdk_levels(encode_xml(Element("manifest", {"package": "a.b"}, [
            Element("uses-sdk", {"android:minSdkVersion": bad})])))
        assert levels.min_sdk is None and levels.min_error and levels.target_sdk == 1


def test_sdk_levels_survive_a_string_pool_android_refuses(malformed_corpus):
    """The offset table of this manifest's string pool runs past its chunk: Android's ResXMLTree
    refuses it, apksig reads the strings it needs (and apksigner verifies the APK)."""
    arc = open_archive(malformed_corpus / "axml-stringpool-count-huge__resigned.apk")
    levels = read_sdk_levels(arc.read("AndroidManifest.xml"))
    arc.close()
    assert levels.min_sdk is not None and levels.min_error is None


def test_signed_apk_block_is_where_the_verifier_looks(signed):
    cd_offset, cd_size, eocd = _tail(signed)
    sb = block.locate(_read_at(signed), cd_offset, cd_size, eocd)
    assert sb.offset + sb.size == cd_offset
    assert {block.V2_BLOCK_ID, block.V3_BLOCK_ID} <= set(sb.ids())
