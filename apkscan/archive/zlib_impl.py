"""The zlib that inflates and checksums ZIP entries.

zlib-ng (the ``zlib-ng`` package, a drop-in for the stdlib module, built with SIMD inflate and
CRC-32) inflates APK content about 1.6x faster than the stdlib's zlib 1.2.x and computes CRC-32
about 4x faster. Inflating is the main per-byte cost of a scan (docs/benchmark.md). It is the same
deflate decoder family as Android's zlib: same output, same streams refused
(tests/test_zlib_impl.py compares both on corrupt and truncated streams). Where no zlib-ng wheel
exists, the stdlib module is used.
"""
from __future__ import annotations

try:
    from zlib_ng import zlib_ng as _zlib

    NAME = "zlib-ng " + _zlib.ZLIBNG_RUNTIME_VERSION
except ImportError:  # pragma: no cover - platforms without a zlib-ng wheel
    import zlib as _zlib

    NAME = "zlib " + _zlib.ZLIB_RUNTIME_VERSION

decompressobj = _zlib.decompressobj
crc32 = _zlib.crc32
error = _zlib.error
