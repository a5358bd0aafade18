"""apkscan.archive on ZIPs built here byte by byte: every trick the layer must see through.

The ZIPs come from ``zip_kit.build_zip``, which controls every field of each member.
"""
from __future__ import annotations

import hashlib
import io
import os
import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from apkscan.archive import ERROR_CODES, ArchiveError, Limits, open_archive
from zip_kit import DEX, MANIFEST, Member, anomaly, build_zip, deflate, ids, open_bytes, simple_members, write

# ---------------------------------------------------------------------------------------------
# honest archives


def test_plain_zip_from_stdlib_matches_zipfile(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("AndroidManifest.xml"), MANIFEST, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr(zipfile.ZipInfo("classes.dex"), DEX, compress_type=zipfile.ZIP_STORED)
        z.writestr(zipfile.ZipInfo("assets/"), b"")
    path = write(tmp_path, buf.getvalue())
    with open_archive(path) as arc, zipfile.ZipFile(path) as z:
        assert arc.anomalies == []
        assert [e.name for e in arc.entries] == z.namelist()
        for e, info in zip(arc.entries, z.infolist()):
            assert e.local_header_offset == info.header_offset
            assert e.data_offset == info.header_offset + 30 + len(info.filename.encode())
            assert arc.read(e) == z.read(info)
            assert e.is_dir == info.is_dir()
        assert arc.entry("assets/").is_dir
        assert arc.cd_offset + arc.cd_size == arc.eocd_offset == len(buf.getvalue()) - 22
        assert arc.size == len(buf.getvalue())


def test_data_offset_uses_local_extra_length(tmp_path):
    # zipalign pads the LOCAL extra field only; Android computes the data offset from the LFH.
    m = Member("classes.dex", DEX, method=0, lfh={"extra": b"\x35\xd9\x06\x00" + b"\x00" * 6})
    with open_bytes(tmp_path, build_zip([m])) as arc:
        (e,) = arc.entries
        assert e.data_offset == 30 + len("classes.dex") + 10
        assert arc.read("classes.dex") == DEX
        assert arc.anomalies == []


# ---------------------------------------------------------------------------------------------
# EOCD


def test_comment_with_fake_eocd_that_android_would_pick(tmp_path):
    members = simple_members()
    real = build_zip(members)
    cd_size, cd_offset = struct.unpack_from("<II", real, len(real) - 22 + 12)
    # A fake EOCD inside the comment, ending exactly at end of file: Android's backward scan
    # finds it first. It claims ONE record: Android sees only AndroidManifest.xml.
    fake = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 1, 1, cd_size, cd_offset, 0)
    data = build_zip(members, comment=fake)
    with open_bytes(tmp_path, data) as arc:
        assert arc.eocd_offset == len(data) - 22
        assert [e.name for e in arc.entries] == ["AndroidManifest.xml"]
        assert [e.name for e in arc.hidden_entries] == ["classes.dex", "res/raw/a.txt"]
        assert {"ZIP_EOCD_MULTIPLE", "ZIP_CD_COUNT_MISMATCH"} <= ids(arc)
        multiple = anomaly(arc, "ZIP_EOCD_MULTIPLE").evidence
        assert multiple["used"] == multiple["android_choice"] == len(data) - 22
        assert "ZIP_EOCD_NOT_LAST" not in ids(arc)
        assert arc.entry("classes.dex") is None
        assert arc.read(arc.hidden_entries[0]) == DEX  # still inspectable


def test_unusable_fake_eocd_falls_back_and_says_android_rejects(tmp_path):
    fake = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 3, 3, 1000, 999999, 0)
    data = build_zip(simple_members(), comment=fake)
    with open_bytes(tmp_path, data) as arc:
        assert len(arc.entries) == 3
        assert {"ZIP_EOCD_MULTIPLE", "ZIP_EOCD_NOT_LAST"} <= ids(arc)
        assert anomaly(arc, "ZIP_EOCD_NOT_LAST").evidence["android"].startswith("rejected")
        assert arc.read("AndroidManifest.xml") == MANIFEST


def test_data_after_eocd(tmp_path):
    data = build_zip(simple_members(), trailing=b"APPENDED" * 100)
    with open_bytes(tmp_path, data) as arc:
        a = anomaly(arc, "ZIP_EOCD_TRAILING_DATA")
        assert a.evidence["trailing_bytes"] == 800
        assert "rejected" in a.evidence["android"]
        assert arc.read("classes.dex") == DEX


def test_max_comment_is_found(tmp_path):
    data = build_zip(simple_members(), comment=b"c" * 65535)
    with open_bytes(tmp_path, data) as arc:
        assert ids(arc) == {"ZIP_EOCD_COMMENT"}
        assert arc.comment == b"c" * 65535


def test_eocd_beyond_search_window_is_not_a_zip(tmp_path):
    # Android scans back 65535 + 22 bytes only; more trailing data hides the EOCD from it.
    data = build_zip(simple_members(), trailing=b"\0" * 70000)
    with pytest.raises(ArchiveError) as err:
        open_bytes(tmp_path, data)
    assert err.value.code == "TRUNCATED"  # local headers at offset 0, no EOCD in reach


def test_count_lie_more_declared_than_present(tmp_path):
    data = build_zip(simple_members(), eocd={"total": 5, "on_disk": 5})
    with open_bytes(tmp_path, data) as arc:
        a = anomaly(arc, "ZIP_CD_COUNT_MISMATCH")
        assert (a.evidence["declared"], a.evidence["found"]) == (5, 3)
        assert len(arc.entries) == 3


def test_disk_fields_disagree(tmp_path):
    data = build_zip(simple_members(), eocd={"on_disk": 1})
    with open_bytes(tmp_path, data) as arc:
        assert "ZIP_EOCD_DISK_FIELDS" in ids(arc)
        assert len(arc.entries) == 3  # Android uses the total count


def test_zip64_eocd_is_followed_and_flagged(tmp_path):
    data = build_zip(simple_members(), zip64=True)
    with open_bytes(tmp_path, data) as arc:
        assert arc.zip64
        assert "ZIP_ZIP64" in ids(arc)
        assert [arc.read(e) for e in arc.entries] == [MANIFEST, DEX, b"hello " * 100]


def test_gap_between_cd_and_eocd(tmp_path):
    data = build_zip(simple_members(), before_eocd=b"\0" * 40)
    with open_bytes(tmp_path, data) as arc:
        assert anomaly(arc, "ZIP_CD_GAP").evidence["gap"] == 40


# ---------------------------------------------------------------------------------------------
# before the first entry: Janus and self-extractor style prefixes


def test_prepended_dex_janus(tmp_path):
    data = build_zip(simple_members(), prefix=DEX)
    with open_bytes(tmp_path, data) as arc:
        assert {"ZIP_DATA_BEFORE_FIRST_ENTRY", "ZIP_PREPENDED_DEX"} <= ids(arc)
        assert anomaly(arc, "ZIP_DATA_BEFORE_FIRST_ENTRY").evidence["bytes"] == len(DEX)
        assert anomaly(arc, "ZIP_PREPENDED_DEX").evidence["dex_version"] == "035"
        assert arc.read("AndroidManifest.xml") == MANIFEST


def test_prepended_data_without_offset_fixup(tmp_path):
    data = build_zip(simple_members(), prefix=b"MZ" + b"\0" * 998, adjust_offsets=False)
    with open_bytes(tmp_path, data) as arc:
        assert anomaly(arc, "ZIP_CD_OFFSETS_SHIFTED").evidence["shift"] == 1000
        assert "ZIP_DATA_BEFORE_FIRST_ENTRY" in ids(arc)
        assert arc.read("classes.dex") == DEX


# ---------------------------------------------------------------------------------------------
# local header vs central directory (BadPack)


def test_badpack_bogus_local_method_uses_central_method(tmp_path):
    m = Member("AndroidManifest.xml", MANIFEST, method=8, lfh={"method": 0x1337})
    with open_bytes(tmp_path, build_zip([m, Member("b", b"x")])) as arc:
        a = anomaly(arc, "ZIP_LFH_CD_MISMATCH")
        (detail,) = a.evidence["entries"]
        assert detail["fields"] == {"method": [0x1337, 8]}
        assert detail["android_effect"].startswith("ignored")
        assert arc.read("AndroidManifest.xml") == MANIFEST


def test_local_sizes_zeroed_without_descriptor(tmp_path):
    m = Member("AndroidManifest.xml", MANIFEST, lfh={"csize": 0, "usize": 0, "crc": 0})
    with open_bytes(tmp_path, build_zip([m])) as arc:
        (detail,) = anomaly(arc, "ZIP_LFH_CD_MISMATCH").evidence["entries"]
        assert set(detail["fields"]) == {"crc32", "compressed_size", "uncompressed_size"}
        assert detail["android_effect"].startswith("entry unreadable")
        assert arc.read("AndroidManifest.xml") == MANIFEST  # CD sizes, as Android uses


def test_local_name_differs(tmp_path):
    m = Member("AndroidManifest.xml", MANIFEST, lfh={"name": b"AndroidManifest.xmX"})
    with open_bytes(tmp_path, build_zip([m])) as arc:
        (detail,) = anomaly(arc, "ZIP_LFH_CD_MISMATCH").evidence["entries"]
        assert detail["fields"]["name"] == ["AndroidManifest.xmX", "AndroidManifest.xml"]


def test_local_name_longer_than_central_shifts_data(tmp_path):
    m = Member("a.txt", b"payload", method=0, lfh={"name": b"a.txt-long-local-name"})
    with open_bytes(tmp_path, build_zip([m])) as arc:
        assert arc.entries[0].data_offset == 30 + len(b"a.txt-long-local-name")
        assert arc.read("a.txt") == b"payload"


def test_data_descriptor_checked_on_read(tmp_path):
    good = struct.pack("<4sIII", b"PK\x07\x08", zlib.crc32(MANIFEST), len(deflate(MANIFEST)), len(MANIFEST))
    bad = struct.pack("<III", 0, 1, 2)
    members = [
        Member("good", MANIFEST, flags=8, lfh={"crc": 0, "csize": 0, "usize": 0}, descriptor=good),
        Member("bad", MANIFEST, flags=8, lfh={"crc": 0, "csize": 0, "usize": 0}, descriptor=bad),
    ]
    with open_bytes(tmp_path, build_zip(members)) as arc:
        assert "ZIP_LFH_CD_MISMATCH" not in ids(arc)  # zeroed sizes are legal with bit 3
        assert arc.read("good") == MANIFEST
        assert "ZIP_DATA_DESCRIPTOR_MISMATCH" not in ids(arc)
        assert arc.read("bad") == MANIFEST
        (detail,) = anomaly(arc, "ZIP_DATA_DESCRIPTOR_MISMATCH").evidence["entries"]
        assert detail["name"] == "bad"


# ---------------------------------------------------------------------------------------------
# methods, flags, sizes


def test_unknown_central_method_is_read_as_stored(tmp_path):
    # Android 9+ AssetsProvider maps uncompressed_length raw bytes for any non-deflated method.
    m = Member("AndroidManifest.xml", MANIFEST, method=0x63, payload=MANIFEST)
    with open_bytes(tmp_path, build_zip([m])) as arc:
        a = anomaly(arc, "ZIP_UNSUPPORTED_METHOD")
        assert a.evidence["entries"][0]["method"] == 0x63
        assert arc.read("AndroidManifest.xml") == MANIFEST


def test_stored_with_size_mismatch_reads_uncompressed_size(tmp_path):
    m = Member("classes.dex", DEX, method=0, payload=DEX + b"JUNKJUNK", cd={"csize": len(DEX) + 8},
               lfh={"csize": len(DEX) + 8})
    with open_bytes(tmp_path, build_zip([m])) as arc:
        assert "ZIP_STORED_SIZE_MISMATCH" in ids(arc)
        assert arc.read("classes.dex") == DEX


def test_encrypted_flag_without_encryption(tmp_path):
    m = Member("AndroidManifest.xml", MANIFEST, flags=1)
    with open_bytes(tmp_path, build_zip([m])) as arc:
        assert "ZIP_ENCRYPTED_FLAG" in ids(arc)
        assert arc.read("AndroidManifest.xml") == MANIFEST


def test_crc_mismatch_is_recorded_not_fatal(tmp_path):
    m = Member("a", MANIFEST, cd={"crc": 1234}, lfh={"crc": 1234})
    with open_bytes(tmp_path, build_zip([m])) as arc:
        assert arc.read("a") == MANIFEST
        assert "ZIP_CRC_MISMATCH" in ids(arc)


def test_declared_size_smaller_than_content(tmp_path):
    m = Member("a", MANIFEST, cd={"usize": 10}, lfh={"usize": 10})
    with open_bytes(tmp_path, build_zip([m])) as arc:
        with pytest.raises(ArchiveError) as err:
            arc.read("a")
        assert err.value.code == "LIMIT_EXCEEDED"
        assert "ZIP_INFLATED_SIZE_MISMATCH" in ids(arc)


def test_declared_size_larger_than_content(tmp_path):
    m = Member("a", MANIFEST, cd={"usize": 0x7FFFFFF0}, lfh={"usize": 0x7FFFFFF0})
    with open_bytes(tmp_path, build_zip([m])) as arc:
        assert {"ZIP_HIGH_COMPRESSION_RATIO", "ZIP_DECLARED_SIZE_OVER_LIMIT"} <= ids(arc)
        assert arc.read("a") == MANIFEST
        a = anomaly(arc, "ZIP_INFLATED_SIZE_MISMATCH")
        assert a.evidence["entries"][0]["actual"] == len(MANIFEST)


def test_zip_bomb_refused_by_ratio_before_inflating(tmp_path):
    zeros = deflate(b"\0" * (64 << 20), 9)
    m = Member("assets/zeros.bin", payload=zeros, cd={"usize": 64 << 20, "crc": 0}, lfh={"usize": 64 << 20, "crc": 0})
    with open_bytes(tmp_path, build_zip([m, Member("b", b"ok")])) as arc:
        assert "ZIP_HIGH_COMPRESSION_RATIO" in ids(arc)
        with pytest.raises(ArchiveError) as err:
            arc.read("assets/zeros.bin")
        assert err.value.code == "LIMIT_EXCEEDED"
        lim = anomaly(arc, "ZIP_LIMIT_EXCEEDED").evidence["entries"][0]
        assert lim["reason"] == "ratio" and lim["produced"] <= 8 << 20
        assert arc.read("b") == b"ok"


def test_entry_size_limit_and_max_size(tmp_path):
    big = os.urandom(300_000)
    members = [Member("big", big, method=8), Member("stored", big, method=0)]
    with open_bytes(tmp_path, build_zip(members), Limits(max_entry_size=200_000)) as arc:
        for name in ("big", "stored"):
            with pytest.raises(ArchiveError) as err:
                arc.read(name)
            assert err.value.code == "LIMIT_EXCEEDED"
    with open_bytes(tmp_path, build_zip(members)) as arc:
        with pytest.raises(ArchiveError) as err:
            arc.read("big", max_size=1000)
        assert err.value.code == "LIMIT_EXCEEDED"
        assert arc.read("big") == big  # a larger cap later is honoured


def test_total_uncompressed_budget(tmp_path):
    members = [Member(f"f{i}", bytes([i]) * 5000) for i in range(4)]
    with open_bytes(tmp_path, build_zip(members), Limits(max_total_uncompressed=12_000)) as arc:
        assert arc.read("f0") and arc.read("f1")
        with pytest.raises(ArchiveError) as err:
            arc.read("f2")
        assert err.value.code == "LIMIT_EXCEEDED"


def test_corrupt_deflate_is_bad_entry_and_cached(tmp_path, monkeypatch):
    m = Member("a", MANIFEST, payload=b"\xff" * 50, cd={"csize": 50}, lfh={"csize": 50})
    with open_bytes(tmp_path, build_zip([m])) as arc:
        with pytest.raises(ArchiveError) as err:
            arc.read("a")
        assert err.value.code == "BAD_ENTRY"
        assert "ZIP_CORRUPT_DATA" in ids(arc)
        import apkscan.archive.archive as mod

        monkeypatch.setattr(mod, "inflate_range", lambda *a, **k: pytest.fail("inflated twice"))
        with pytest.raises(ArchiveError):
            arc.read("a")


def test_truncated_deflate_stream(tmp_path):
    payload = deflate(os.urandom(5000))[:-100]
    m = Member("a", payload=payload, cd={"usize": 5000}, lfh={"usize": 5000})
    with open_bytes(tmp_path, build_zip([m])) as arc:
        with pytest.raises(ArchiveError) as err:
            arc.read("a")
        assert err.value.code == "BAD_ENTRY"


def test_small_entries_cached_big_not(tmp_path, monkeypatch):
    big = os.urandom(50_000)
    members = [Member("small", MANIFEST), Member("big", big)]
    with open_bytes(tmp_path, build_zip(members), Limits(cache_entry_max=10_000)) as arc:
        first = arc.read("small")
        assert arc.read("small") is first
        assert arc.read("big") == big
        import apkscan.archive.archive as mod

        calls = []
        real = mod.inflate_range
        monkeypatch.setattr(mod, "inflate_range", lambda *a, **k: calls.append(1) or real(*a, **k))
        arc.read("small")
        arc.read("big")
        assert len(calls) == 1


# ---------------------------------------------------------------------------------------------
# names, duplicates, overlaps, bounds


def test_duplicate_names_first_wins(tmp_path):
    members = [Member("AndroidManifest.xml", b"FOREIGN"), Member("AndroidManifest.xml", MANIFEST)]
    with open_bytes(tmp_path, build_zip(members)) as arc:
        assert len(arc.entries) == 2
        assert arc.entry("AndroidManifest.xml").index == 0
        assert arc.read("AndroidManifest.xml") == b"FOREIGN"
        assert arc.read(arc.entries[1]) == MANIFEST
        a = anomaly(arc, "ZIP_DUPLICATE_ENTRY")
        assert a.evidence["entries"][0]["indexes"] == [0, 1]
        assert "kDuplicateEntry" in a.evidence["android"]


@pytest.mark.parametrize("name, expected", [
    ("../../../../data/local/tmp/evil.so", "ZIP_NAME_TRAVERSAL"),
    ("lib/arm64-v8a/../../evil.so", "ZIP_NAME_TRAVERSAL"),
    ("/system/bin/sh", "ZIP_NAME_ABSOLUTE"),
    ("C:\\evil.dll", "ZIP_NAME_ABSOLUTE"),
    ("assets\\x.bin", "ZIP_NAME_BACKSLASH"),
    ("assets\\..\\..\\x", "ZIP_NAME_TRAVERSAL"),
    (b"classes.dex\x00.png", "ZIP_NAME_NUL"),
    (b"caf\xe9.txt", "ZIP_NAME_INVALID_UTF8"),
    ("a/" + "x" * 300, "ZIP_NAME_TOO_LONG"),
    ("", "ZIP_NAME_EMPTY"),
])
def test_suspicious_names(tmp_path, name, expected):
    with open_bytes(tmp_path, build_zip([Member(name, b"x"), Member("ok", b"y")])) as arc:
        assert expected in ids(arc)
        assert arc.read(arc.entries[0]) == b"x"
        shown = arc.entries[0].name
        shown.encode("utf-8")  # always printable in a report


def test_two_central_records_share_one_local_header(tmp_path):
    data = build_zip([Member("classes.dex", DEX, method=0), Member("other.dex", DEX, method=0, cd={"lho": 0})])
    with open_bytes(tmp_path, data) as arc:
        assert "ZIP_OVERLAPPING_ENTRIES" in ids(arc)
        assert "ZIP_LFH_CD_MISMATCH" in ids(arc)  # other.dex points at a header named classes.dex


def test_entry_pointing_past_the_central_directory(tmp_path):
    data = build_zip([Member("a", b"x"), Member("far", b"y", cd={"lho": 10**6})])
    with open_bytes(tmp_path, data) as arc:
        assert "ZIP_ENTRY_OUT_OF_BOUNDS" in ids(arc)
        assert not arc.entry("far").readable
        with pytest.raises(ArchiveError) as err:
            arc.read("far")
        assert err.value.code == "BAD_ENTRY"


def test_entry_pointing_at_no_local_header(tmp_path):
    data = build_zip([Member("a", b"x" * 100, method=0), Member("b", b"y", cd={"lho": 40})])
    with open_bytes(tmp_path, data) as arc:
        assert "ZIP_LFH_MISSING" in ids(arc)
        with pytest.raises(ArchiveError) as err:
            arc.read("b")
        assert err.value.code == "BAD_ENTRY"


def test_entry_data_running_into_central_directory(tmp_path):
    data = build_zip([Member("a", b"x" * 100, method=0, cd={"usize": 5000, "csize": 5000})])
    with open_bytes(tmp_path, data) as arc:
        assert "ZIP_ENTRY_OUT_OF_BOUNDS" in ids(arc)
        with pytest.raises(ArchiveError) as err:
            arc.read("a")
        assert err.value.code == "BAD_ENTRY"


# ---------------------------------------------------------------------------------------------
# refusals


@pytest.mark.parametrize("data, code", [
    (b"", "EMPTY"),
    (b"PK\x05\x06" + b"\0" * 18, "EMPTY"),
    (b"hello, this is not a zip at all" * 3, "NOT_A_ZIP"),
    (b"PK\x03\x04short", "NOT_A_ZIP"),
    (b"PK\x03\x04" + b"\0" * 100, "TRUNCATED"),
])
def test_refusals(tmp_path, data, code):
    with pytest.raises(ArchiveError) as err:
        open_bytes(tmp_path, data)
    assert err.value.code == code
    assert err.value.message


def test_limits_on_entries_and_cd(tmp_path):
    data = build_zip(simple_members())
    for limits in (Limits(max_entries=2), Limits(max_cd_size=50)):
        with pytest.raises(ArchiveError) as err:
            open_bytes(tmp_path, data, limits)
        assert err.value.code == "LIMIT_EXCEEDED"


def test_io_errors(tmp_path):
    for path in (tmp_path / "missing.apk", tmp_path):
        with pytest.raises(ArchiveError) as err:
            open_archive(path)
        assert err.value.code == "IO_ERROR"


def test_lookup_errors_and_read_at(tmp_path):
    data = build_zip(simple_members())
    with open_bytes(tmp_path, data) as arc:
        with pytest.raises(ArchiveError) as err:
            arc.read("nope")
        assert err.value.code == "NOT_FOUND"
        with pytest.raises(ArchiveError):
            arc.read(42)
        assert arc.read_at(0, 4) == b"PK\x03\x04"
        assert arc.read_at(len(data) - 2, 100) == data[-2:]
        for bad in ((-1, 4), (0, 1 << 40)):
            with pytest.raises(ArchiveError):
                arc.read_at(*bad)


def test_file_untouched_and_error_codes_known(tmp_path):
    data = build_zip(simple_members(), prefix=DEX, comment=b"x")
    path = write(tmp_path, data)
    before = (os.stat(path).st_mtime_ns, hashlib.sha256(data).hexdigest())
    with open_archive(path) as arc:
        for e in arc.entries:
            arc.read(e)
        arc.stream([])
        assert arc.hashes["sha256"] == before[1]
    assert (os.stat(path).st_mtime_ns, hashlib.sha256(Path(path).read_bytes()).hexdigest()) == before
    assert set(ERROR_CODES) >= {"NOT_A_ZIP", "TRUNCATED", "EMPTY", "BAD_CD", "BAD_ENTRY", "LIMIT_EXCEEDED"}
