"""The factory's format writers, each checked by an independent reader (androguard, zipfile, zlib,
Debian dexdump and readelf: skipped when absent, required with APKSCAN_REQUIRE_TOOLS=1)."""
from __future__ import annotations

import hashlib
import io
import struct
import subprocess
import zipfile
import zlib

import pytest

from apkscan.samples.arsc import ResourceTable
from apkscan.samples.axml import Element, Hex, Ref, encode_xml
from apkscan.samples.dex import DexClass, build_dex, mutf8
from apkscan.samples.elf import ABIS, ElfSpec, build_elf
from apkscan.samples.png import icon_png
from apkscan.samples.zipwriter import ZipEntry, default_entry, write_zip
from conftest import require_tool


def _quiet_androguard():
    try:
        from loguru import logger

        logger.remove()
    except Exception:
        pass


_quiet_androguard()




# --- binary XML -------------------------------------------------------------------------------

@pytest.mark.parametrize("utf8", [False, True])
def test_axml_round_trips_through_androguard(utf8):
    from androguard.core.axml import AXMLPrinter

    tree = Element("manifest", {"package": "com.example.x", "android:versionCode": 7, "android:versionName": "1.2"}, [
        Element("uses-permission", {"android:name": "android.permission.INTERNET"}),
        Element("application", {"android:label": Ref(0x7F020001), "android:debuggable": True,
                                 "android:usesCleartextTraffic": False}, [
            Element("service", {"android:name": "com.example.x.S", "android:foregroundServiceType": Hex(0x20),
                                "android:exported": False}),
            Element("activity", {"android:name": "com.example.x.Định"}, text="chữ"),
        ]),
    ])
    data = encode_xml(tree, utf8=utf8)
    printer = AXMLPrinter(data)
    assert printer.is_valid()
    xml = printer.get_xml().decode("utf-8")
    root = printer.get_xml_obj()
    ns = "{http://schemas.android.com/apk/res/android}"
    assert root.get("package") == "com.example.x"
    assert root.get(ns + "versionCode") == "7"
    assert root.find("uses-permission").get(ns + "name") == "android.permission.INTERNET"
    app = root.find("application")
    assert app.get(ns + "label") == "@7F020001"
    assert app.get(ns + "debuggable") == "true" and app.get(ns + "usesCleartextTraffic") == "false"
    assert root.find("application/service").get(ns + "foregroundServiceType") == "0x00000020"
    assert "com.example.x.Định" in xml
    # the resource map carries the framework ids: versionCode 0x0101021b, name 0x01010003
    assert struct.pack("<I", 0x0101021B) in data and struct.pack("<I", 0x01010003) in data


def test_axml_rejects_unknown_android_attribute():
    with pytest.raises(KeyError):
        encode_xml(Element("manifest", {"android:noSuchAttribute": "x"}))


def test_axml_resolves_references_through_callback():
    seen = []

    def resolve(ref):
        seen.append(ref)
        return 0x7F030000

    data = encode_xml(Element("service", {"android:resource": "@xml/accessibility_config"}), resolve)
    assert seen == ["@xml/accessibility_config"]
    assert struct.pack("<HBBI", 8, 0, 0x01, 0x7F030000) in data  # Res_value TYPE_REFERENCE


# --- resources.arsc ----------------------------------------------------------------------------

def test_arsc_default_and_locale_values_resolve():
    from androguard.core.axml import ARSCParser

    t = ResourceTable("com.example.x")
    t.add_string("app_name", {"": "VNeID", "vi": "Định danh", "zh-rTW": "身份"})
    t.add_string("other", {"": "x"})
    t.add_file("mipmap", "ic_launcher", {"mdpi-v4": "res/a.png", "xxhdpi-v4": "res/b.png"})
    t.add_file("xml", "accessibility_config", {"": "res/xml/accessibility_config.xml"})
    ids = t.finalize()
    arsc = ARSCParser(t.encode())
    assert arsc.get_packages_names() == ["com.example.x"]
    values = {str(cfg.get_qualifier()): v for cfg, v in arsc.get_resolved_res_configs(ids["@string/app_name"])}
    assert values[""] == "VNeID" and values["vi"] == "Định danh" and values["zh-rTW"] == "身份"
    icons = {cfg.get_density(): v for cfg, v in arsc.get_resolved_res_configs(ids["@mipmap/ic_launcher"])}
    assert icons == {160: "res/a.png", 480: "res/b.png"}
    assert arsc.get_resolved_res_configs(ids["@xml/accessibility_config"])[0][1] == "res/xml/accessibility_config.xml"
    assert ids["@string/app_name"] >> 24 == 0x7F
    with pytest.raises(KeyError):
        t.id_of("@string/missing")


# --- DEX ---------------------------------------------------------------------------------------

def test_dex_header_checksums_and_sorted_strings():
    classes = [DexClass("com.example.Sub", "com.example.Base", ("b", "a")), DexClass("com.example.Base", strings=("Z",))]
    data = build_dex(classes, ("extra\x00nul", "emoji 😀"), version="039")
    assert data[:8] == b"dex\n039\x00"
    assert struct.unpack_from("<I", data, 8)[0] == zlib.adler32(data[12:]) & 0xFFFFFFFF
    assert data[12:32] == hashlib.sha1(data[32:]).digest()
    assert struct.unpack_from("<I", data, 32)[0] == len(data)
    n, off = struct.unpack_from("<II", data, 56)
    strings = []
    for i in range(n):
        (p,) = struct.unpack_from("<I", data, off + 4 * i)
        while data[p] & 0x80:
            p += 1
        end = data.index(b"\x00", p + 1)
        strings.append(data[p + 1:end])
    assert mutf8("extra\x00nul") in strings  # NUL written as C0 80, so the terminator stays unique
    decoded = [s.replace(b"\xc0\x80", b"\x00").decode("utf-8", "surrogatepass") for s in strings]
    keys = [s.encode("utf-16-be", "surrogatepass") for s in decoded]  # code-unit order, as the spec sorts
    assert len(set(decoded)) == len(decoded) and keys == sorted(keys)
    assert "Lcom/example/Base;" in decoded and "b" in decoded


def test_dex_passes_dexdump_verifier(tmp_path):
    dexdump = require_tool("dexdump")
    classes = [DexClass("com.example.A", "android.app.Activity", ("wss://sock.vnsame.vip:8081", "Định danh")),
               DexClass("com.example.B", "com.example.A", payload=bytes(range(256)) * 3 + b"x"),
               DexClass("com.example.Big", strings=tuple(f"s{i:06d}" for i in range(66000)))]
    path = tmp_path / "classes.dex"
    path.write_bytes(build_dex(classes, ("Lvirbox/StubApp;",)))
    out = subprocess.run([dexdump, "-d", str(path)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "const-string/jumbo" in out.stdout  # string index > 0xFFFF
    assert "fill-array-data" in out.stdout
    assert "'Lcom/example/B;'" in out.stdout and "Superclass        : 'Lcom/example/A;'" in out.stdout
    # one flipped byte must fail the checksum (dexdump really verifies)
    bad = bytearray(path.read_bytes())
    bad[-5] ^= 1
    path.write_bytes(bad)
    assert subprocess.run([dexdump, str(path)], capture_output=True, timeout=60).returncode != 0


def test_dex_orders_superclass_first_and_rejects_duplicates():
    with pytest.raises(ValueError):
        build_dex([DexClass("a.A"), DexClass("a.A")])
    with pytest.raises(ValueError):
        build_dex([DexClass("a.A", "a.B"), DexClass("a.B", "a.A")])


# --- ELF ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("abi", sorted(ABIS))
def test_elf_is_a_valid_shared_object(abi, tmp_path):
    data = build_elf(ElfSpec("libstrategy.so", abi, ("Virbox Protector",), ("JNI_OnLoad", "Java_x_y")))
    is64 = ABIS[abi][0]
    assert data[:4] == b"\x7fELF" and data[4] == (2 if is64 else 1)
    assert struct.unpack_from("<H", data, 16)[0] == 3  # ET_DYN
    assert struct.unpack_from("<H", data, 18)[0] == ABIS[abi][1]
    assert b"Virbox Protector\x00" in data
    readelf = require_tool("readelf")
    path = tmp_path / "lib.so"
    path.write_bytes(data)
    out = subprocess.run([readelf, "-W", "-h", "-d", "--dyn-syms", "-S", str(path)], capture_output=True, text=True)
    assert out.returncode == 0 and "Warning" not in out.stderr and "Error" not in out.stderr, out.stderr
    assert "Library soname: [libstrategy.so]" in out.stdout
    assert "JNI_OnLoad" in out.stdout and "Java_x_y" in out.stdout


# --- PNG ---------------------------------------------------------------------------------------

def _png_pixels(data: bytes) -> bytes:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    while pos < len(data):
        (n,) = struct.unpack_from(">I", data, pos)
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        assert struct.unpack_from(">I", data, pos + 8 + n)[0] == zlib.crc32(kind + body) & 0xFFFFFFFF
        if kind == b"IDAT":
            idat += body
        pos += 12 + n
    return zlib.decompress(idat)


def test_png_icons_are_deterministic_and_distinct():
    a, b = icon_png("vneid", "#c8102e"), icon_png("vneid", "#c8102e")
    assert a == b
    assert icon_png("vssid", "#0a5cad") != a
    near = icon_png("vneid", "#c8102e", perturb=3)
    pa, pn = _png_pixels(a), _png_pixels(near)
    assert near != a and len(pa) == len(pn) == 144 * (1 + 144 * 4)
    assert sum(x != y for x, y in zip(pa, pn)) <= 9  # a near-copy: a few channel values differ


# --- ZIP ---------------------------------------------------------------------------------------

def test_zip_is_deterministic_aligned_and_readable():
    entries = [default_entry("AndroidManifest.xml", b"m" * 100), default_entry("resources.arsc", b"r" * 37),
               default_entry("lib/arm64-v8a/libx.so", b"\x7fELF" + b"x" * 50),
               ZipEntry("assets/a.bin", b"abc", compress=False, alignment=4), ZipEntry("assets/đ.txt", b"vi")]
    data = write_zip(entries)
    assert data == write_zip(entries)
    z = zipfile.ZipFile(io.BytesIO(data))
    assert z.read("resources.arsc") == b"r" * 37 and z.read("assets/đ.txt") == b"vi"
    for info in z.infolist():
        assert info.date_time == (1981, 1, 1, 0, 0, 0)
        name_len, extra_len = struct.unpack_from("<HH", data, info.header_offset + 26)
        start = info.header_offset + 30 + name_len + extra_len
        if info.compress_type == zipfile.ZIP_STORED:
            align = 16384 if info.filename.endswith(".so") else 4
            assert start % align == 0, info.filename
    assert z.getinfo("resources.arsc").compress_type == zipfile.ZIP_STORED
    assert z.getinfo("AndroidManifest.xml").compress_type == zipfile.ZIP_DEFLATED
    with pytest.raises(ValueError):
        write_zip([ZipEntry("a", b""), ZipEntry("a", b"")])
