"""Perceptual icon hashes: the factory's launcher icons, re-encodings, and hostile images."""
from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

from apkscan.analyzers.icon_hash import IconHash, distance, hash_icon, matches, near_copy
from apkscan.samples.png import icon_png


def test_same_icon_near_copy_and_rescale_match():
    ref = hash_icon(icon_png("vneid-reference", "#c8102e"))
    assert ref is not None and ref.informative
    assert distance(ref, hash_icon(icon_png("vneid-reference", "#c8102e"))) == (0, 0)
    assert matches(hash_icon(icon_png("vneid-reference", "#c8102e", perturb=5)), ref)
    assert matches(hash_icon(icon_png("vneid-reference", "#c8102e", size=96)), ref)


def test_webp_and_jpeg_re_encodings_match():
    ref = hash_icon(icon_png("vneid-reference", "#c8102e"))
    img = Image.open(io.BytesIO(icon_png("vneid-reference", "#c8102e")))
    on_white = Image.alpha_composite(Image.new("RGBA", img.size, (255, 255, 255, 255)), img.convert("RGBA"))
    for fmt, picture, kw in (("WEBP", img, {"quality": 60}), ("JPEG", on_white.convert("RGB"), {"quality": 70})):
        buf = io.BytesIO()
        picture.save(buf, fmt, **kw)
        assert matches(hash_icon(buf.getvalue()), ref), fmt


def test_different_icons_do_not_match():
    ref = hash_icon(icon_png("vneid-reference", "#c8102e"))
    others = [hash_icon(icon_png(f"app-{i}", size=96)) for i in range(150)]  # own shapes, own colours
    assert sum(matches(o, ref) for o in others) == 0
    # same colour and shape family: looser matches happen (a person would see them as alike
    # too), but only near copies count as evidence on their own
    family = [hash_icon(icon_png(f"app-{i}", "#c8102e", size=96)) for i in range(150)]
    assert sum(near_copy(o, ref) for o in family) == 0
    assert near_copy(hash_icon(icon_png("vneid-reference", "#c8102e", perturb=3)), ref)


def test_text_round_trip():
    ref = hash_icon(icon_png("x", "#123456"))
    assert IconHash.from_text(ref.to_text()) == IconHash(ref.phash, ref.dhash, ref.colour)
    assert IconHash.from_text("p123") is None and IconHash.from_text("") is None


def _png_header_only(width, height):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def test_hostile_images_give_no_hash():
    assert hash_icon(b"") is None
    assert hash_icon(b"not an image at all") is None
    assert hash_icon(_png_header_only(60000, 60000)) is None  # decompression bomb: refused from the header
    assert hash_icon(icon_png("x", "#123456")[:200]) is None  # truncated
    gif = io.BytesIO()
    Image.new("RGB", (48, 48), (1, 2, 3)).save(gif, "GIF")
    assert hash_icon(gif.getvalue()) is None  # not a launcher-icon format
    flat = io.BytesIO()
    Image.new("RGBA", (96, 96), (200, 0, 0, 255)).save(flat, "PNG")
    assert hash_icon(flat.getvalue()) is None  # a flat colour has no shape to compare
