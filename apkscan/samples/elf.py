"""Minimal valid ELF shared object (lib/<abi>/libX.so) holding given strings.

From the System V gABI / ELF specification (https://refspecs.linuxfoundation.org/elf/gabi4+/contents.html)
and the psABI machine numbers: an ``ET_DYN`` file with two ``PT_LOAD`` segments (read+execute:
headers, .hash, .dynsym, .dynstr, .text, .rodata; read+write: .dynamic) and ``PT_DYNAMIC``; the
dynamic section names the SONAME, DT_NEEDED libraries, the symbol/string/hash tables. Exported
functions (JNI_OnLoad and any given symbols) are ``ret`` stubs in .text; the given strings sit in
.rodata, NUL-terminated, the way a compiler leaves string literals.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

# abi -> (ELF class 64?, e_machine, one "return" instruction, page alignment)
ABIS = {
    "arm64-v8a": (True, 183, bytes.fromhex("c0035fd6"), 0x4000),  # EM_AARCH64, RET
    "armeabi-v7a": (False, 40, bytes.fromhex("1eff2fe1"), 0x1000),  # EM_ARM, BX LR
    "x86_64": (True, 62, b"\xc3", 0x1000),  # EM_X86_64, RET
    "x86": (False, 3, b"\xc3", 0x1000),  # EM_386, RET
}

ET_DYN = 3
PT_LOAD, PT_DYNAMIC = 1, 2
PF_X, PF_W, PF_R = 1, 2, 4
SHT_PROGBITS, SHT_STRTAB, SHT_HASH, SHT_DYNAMIC, SHT_DYNSYM = 1, 3, 5, 6, 11
SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR = 1, 2, 4
DT_NULL, DT_NEEDED, DT_HASH, DT_STRTAB, DT_SYMTAB, DT_STRSZ, DT_SYMENT, DT_SONAME = 0, 1, 4, 5, 6, 10, 11, 14
STB_GLOBAL, STT_FUNC = 1, 2


@dataclass(frozen=True)
class ElfSpec:
    soname: str
    abi: str = "arm64-v8a"
    strings: tuple[str, ...] = ()
    symbols: tuple[str, ...] = ("JNI_OnLoad",)
    needed: tuple[str, ...] = ("liblog.so", "libc.so", "libdl.so")
    payload: bytes = b""  # extra .rodata bytes (realistic sizes)


def elf_hash(name: bytes) -> int:
    """The System V ABI symbol hash (gABI, "Hash Table")."""
    h = 0
    for c in name:
        h = ((h << 4) + c) & 0xFFFFFFFF
        g = h & 0xF0000000
        if g:
            h ^= g >> 24
        h &= ~g & 0xFFFFFFFF
    return h


class _Strtab:
    def __init__(self) -> None:
        self.data = bytearray(b"\x00")
        self.index: dict[str, int] = {"": 0}

    def add(self, s: str) -> int:
        if s not in self.index:
            self.index[s] = len(self.data)
            self.data += s.encode("utf-8") + b"\x00"
        return self.index[s]


def _align(n: int, a: int) -> int:
    return (n + a - 1) // a * a


def build_elf(spec: ElfSpec) -> bytes:
    if spec.abi not in ABIS:
        raise ValueError(f"unsupported ABI {spec.abi!r}")
    is64, machine, ret, page = ABIS[spec.abi]
    ehsize, phentsize, shentsize = (64, 56, 64) if is64 else (52, 32, 40)
    symentsize, dynentsize, word = (24, 16, 8) if is64 else (16, 8, 4)
    n_ph = 3

    dynstr = _Strtab()
    soname_off = dynstr.add(spec.soname)
    needed_offs = [dynstr.add(n) for n in spec.needed]
    sym_names = list(dict.fromkeys(spec.symbols))
    sym_name_offs = [dynstr.add(s) for s in sym_names]

    # .hash: one bucket per symbol is plenty; chain[i] links symbols with the same bucket.
    nsyms = len(sym_names) + 1
    nbucket = max(1, len(sym_names))
    buckets, chains = [0] * nbucket, [0] * nsyms
    for i, name in enumerate(sym_names, start=1):
        b = elf_hash(name.encode()) % nbucket
        chains[i], buckets[b] = buckets[b], i
    hash_data = struct.pack(f"<II{nbucket}I{nsyms}I", nbucket, nsyms, *buckets, *chains)

    rodata = b"".join(s.encode("utf-8") + b"\x00" for s in spec.strings) + spec.payload
    stub = _align(len(ret), 4)
    text = b"".join(ret.ljust(stub, b"\x00") for _ in sym_names) or ret

    off = ehsize + n_ph * phentsize
    hash_off = _align(off, 8)
    dynsym_off = _align(hash_off + len(hash_data), 8)
    dynstr_off = dynsym_off + nsyms * symentsize
    text_off = _align(dynstr_off + len(dynstr.data), 16)
    rodata_off = _align(text_off + len(text), 16)
    seg1_end = rodata_off + len(rodata)
    dynamic_off = _align(seg1_end, page)

    dyn = [(DT_NEEDED, o) for o in needed_offs] + [
        (DT_SONAME, soname_off), (DT_HASH, hash_off), (DT_STRTAB, dynstr_off), (DT_SYMTAB, dynsym_off),
        (DT_STRSZ, len(dynstr.data)), (DT_SYMENT, symentsize), (DT_NULL, 0)]
    dyn_fmt = "<qQ" if is64 else "<iI"
    dynamic = b"".join(struct.pack(dyn_fmt, t, v) for t, v in dyn)

    shstr = _Strtab()
    names = [shstr.add(n) for n in ("", ".hash", ".dynsym", ".dynstr", ".text", ".rodata", ".dynamic", ".shstrtab")]
    shstrtab_off = dynamic_off + len(dynamic)
    sh_off = _align(shstrtab_off + len(shstr.data), word)

    syms = bytearray(b"\x00" * symentsize)
    for i, name_off in enumerate(sym_name_offs):
        value, info = text_off + i * stub, (STB_GLOBAL << 4) | STT_FUNC
        if is64:
            syms += struct.pack("<IBBHQQ", name_off, info, 0, 4, value, len(ret))
        else:
            syms += struct.pack("<IIIBBH", name_off, value, len(ret), info, 0, 4)

    out = bytearray(sh_off + 8 * shentsize)
    ident = b"\x7fELF" + bytes([2 if is64 else 1, 1, 1, 0]) + b"\x00" * 8  # class, LE, version, SYSV
    if is64:
        out[0:64] = ident + struct.pack("<HHIQQQIHHHHHH", ET_DYN, machine, 1, 0, ehsize, sh_off, 0, ehsize,
                                        phentsize, n_ph, shentsize, 8, 7)
    else:
        flags = 0x05000000 if machine == 40 else 0  # EF_ARM_EABI_VER5
        out[0:52] = ident + struct.pack("<HHIIIIIHHHHHH", ET_DYN, machine, 1, 0, ehsize, sh_off, flags, ehsize,
                                        phentsize, n_ph, shentsize, 8, 7)
    phdrs = [
        (PT_LOAD, PF_R | PF_X, 0, 0, seg1_end, seg1_end, page),
        (PT_LOAD, PF_R | PF_W, dynamic_off, dynamic_off, len(dynamic), len(dynamic), page),
        (PT_DYNAMIC, PF_R | PF_W, dynamic_off, dynamic_off, len(dynamic), len(dynamic), word),
    ]
    p = ehsize
    for typ, flags, o, va, fs, ms, al in phdrs:
        if is64:
            out[p:p + 56] = struct.pack("<IIQQQQQQ", typ, flags, o, va, va, fs, ms, al)
        else:
            out[p:p + 32] = struct.pack("<IIIIIIII", typ, o, va, va, fs, ms, flags, al)
        p += phentsize
    for o, data in ((hash_off, hash_data), (dynsym_off, syms), (dynstr_off, dynstr.data), (text_off, text),
                    (rodata_off, rodata), (dynamic_off, dynamic), (shstrtab_off, shstr.data)):
        out[o:o + len(data)] = data
    sections = [
        (0, 0, 0, 0, 0, 0, 0, 0, 0),
        (names[1], SHT_HASH, SHF_ALLOC, hash_off, len(hash_data), 2, 0, word, 4),
        (names[2], SHT_DYNSYM, SHF_ALLOC, dynsym_off, len(syms), 3, 1, word, symentsize),
        (names[3], SHT_STRTAB, SHF_ALLOC, dynstr_off, len(dynstr.data), 0, 0, 1, 0),
        (names[4], SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, text_off, len(text), 0, 0, 16, 0),
        (names[5], SHT_PROGBITS, SHF_ALLOC, rodata_off, len(rodata), 0, 0, 16, 0),
        (names[6], SHT_DYNAMIC, SHF_ALLOC | SHF_WRITE, dynamic_off, len(dynamic), 3, 0, word, dynentsize),
        (names[7], SHT_STRTAB, 0, shstrtab_off, len(shstr.data), 0, 0, 1, 0),
    ]
    q = sh_off
    for name, typ, flags, o, size, link, info, align, entsize in sections:
        addr = o if flags & SHF_ALLOC else 0
        if is64:
            out[q:q + 64] = struct.pack("<IIQQQQIIQQ", name, typ, flags, addr, o, size, link, info, align, entsize)
        else:
            out[q:q + 40] = struct.pack("<IIIIIIIIII", name, typ, flags, addr, o, size, link, info, align, entsize)
        q += shentsize
    return bytes(out)
