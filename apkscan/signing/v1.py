"""APK Signature Scheme v1 (JAR signing) verification, the way Android checks it.

Behaviour, stage order and issue names follow AOSP apksig ``V1SchemeVerifier`` (the library behind
``apksigner verify``): a JAR signature verifies for a range of API levels [min_sdk, max_sdk] only if it
verifies on every platform in that range.

1. ZIP: duplicate entry names are fatal (JAR_SIG_DUPLICATE_ZIP_ENTRY); directory entries are ignored.
2. META-INF/MANIFEST.MF must exist; its individual sections must be named, unique, and name entries
   present in the APK.
3. Signers are the META-INF/*.RSA|*.DSA|*.EC files that have a matching .SF (at most 10).
4. Each signature block (PKCS #7 SignedData) must verify against its .SF: before Android N only the
   first SignerInfo is tried, from N on the first one that verifies counts. The signing certificate
   is the bag's certificate whose issuer and serial number the SignerInfo names -- never "the first
   certificate" -- so a genuine certificate planted in the bag proves nothing.
5. Each .SF must cover the manifest: its -Digest-Manifest (whole file) or, failing that, per-section
   -Digest attributes; the X-Android-APK-Signed attribute protects v2+ signatures from stripping.
6. Every entry outside META-INF/ must be listed in the manifest, signed by the same set of signers,
   and its uncompressed data must match the manifest digest(s) Android would check.
7. Files in META-INF/ other than the signature files are not protected: reported as warnings.

Which digest attributes count depends on the API levels (``digests_to_verify``), and which
digest/signature algorithm pairs a SignerInfo may use too (``pkcs7.SUPPORTED_SIG_ALGS``).

Stage 4 (the signature block) is in ``apkscan.signing.v1_signers``, stage 5 (.SF against the
manifest, stripping protection) in ``apkscan.signing.v1_sf_checks``; their public names are
re-exported here.

The verifier is an entry consumer for ``Archive.for_each_entry``: it reads the META-INF files itself
when constructed, then hashes the entries it is given (keeping no entry data); ``finish()`` reads any
entry it needed but was not given.
"""
from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass, replace
from typing import Iterable

from apkscan.model import Signer, SigningIssue
from apkscan.signing import jar_manifest
from apkscan.signing.jar_manifest import Section, digests_to_verify, parse_apk_signed_ids
from apkscan.signing.v1_sf_checks import (MANIFEST_ENTRY_NAME, SCHEME_NAMES, SF_ATTRIBUTE_ANDROID_APK_SIGNED,  # noqa: F401
                                          check_sf_digests, stripping_issues)
from apkscan.signing.v1_signers import (HASHLIB, KITKAT, N, P, Fatal, JarSigner, b64, describe_certificate,  # noqa: F401
                                        issue, jca_digest, verify_block)

MAX_APK_SIGNERS = 10  # apksig Constants.MAX_APK_SIGNERS
METHOD_STORED, METHOD_DEFLATED = 0, 8
DEFAULT_MAX_ENTRY_SIZE = 512 * 1024 * 1024  # when the archive states no limit
MAX_META_FILE_SIZE = 64 * 1024 * 1024  # bound on the MANIFEST.MF / .SF we inflate
MAX_SIGNATURE_BLOCK_SIZE = 4 * 1024 * 1024  # real blocks are a few KiB (a certificate chain)


def jar_name(entry) -> str:
    """The entry name as apksig sees it: the raw bytes decoded as UTF-8, invalid sequences replaced
    by U+FFFD (the archive layer shows them as \\xNN instead)."""
    raw = getattr(entry, "raw_name", b"")
    return raw.decode("utf-8", errors="replace") if raw else entry.name


@dataclass(frozen=True)
class V1Result:
    present: bool  # the APK carries JAR signature files (META-INF/*.SF|.RSA|.DSA|.EC)
    verified: bool
    signers: tuple[Signer, ...]  # signers whose signatures verified and cover the APK's entries
    issues: tuple[SigningIssue, ...]  # errors: any makes verified False
    warnings: tuple[SigningIssue, ...]
    apk_signed_scheme_ids: tuple[int, ...]  # X-Android-APK-Signed ids over all .SF files
    extracted_certificates: tuple[Signer, ...] = ()  # every certificate seen in the blocks: NOT proof
    # per verified signer, the algorithms its protection rests on for [min_sdk, max_sdk]:
    # {cert_sha256, signature_algorithm ("SHA1withRSA"), signature_digest ("SHA-1"),
    #  content_digests: the .SF-over-MANIFEST.MF and MANIFEST.MF-over-entries digests checked}
    algorithms: tuple[dict, ...] = ()


# ---------------------------------------------------------------------------------------------


class _LimitExceeded(ValueError):
    pass


def _unreadable(name: str, err: Exception) -> SigningIssue:
    """An entry v1 must read could not be: malformed (apksig throws ApkFormatException), or refused
    by apkscan's limits (then the verdict is "not verified", not "tampered")."""
    if isinstance(err, _LimitExceeded) or getattr(err, "code", None) in ("LIMIT_EXCEEDED", "TIME_LIMIT", "MEMORY"):
        return issue("VERIFICATION_INCOMPLETE", f"{name}: {err}")
    return issue("MALFORMED_APK", f"Malformed ZIP entry: {name}: {str(err) or type(err).__name__}")


class V1Verifier:
    """Verifies an APK's JAR signature for API levels [min_sdk, max_sdk] (see module docstring).

    ``found_apk_sig_scheme_ids``: ids of the APK Signature Scheme blocks (2, 3, 31) the facade found in
    the APK Signing Block. apksig needs them for the anti-stripping check (X-Android-APK-Signed); when
    they are not known (None, the default) that check is skipped and ``V1Result.apk_signed_scheme_ids``
    carries the ids for the caller to check. They may also be given later, before ``finish()``, with
    ``set_found_apk_sig_scheme_ids``.
    """

    def __init__(self, archive, min_sdk: int, max_sdk: int, found_apk_sig_scheme_ids: Iterable[int] | None = None):
        if min_sdk > max_sdk:
            raise ValueError(f"minSdkVersion ({min_sdk}) > maxSdkVersion ({max_sdk})")
        self._archive = archive
        self._min = int(min_sdk)
        self._max = int(max_sdk)
        self._found: frozenset[int] | None = None
        if found_apk_sig_scheme_ids is not None:
            self.set_found_apk_sig_scheme_ids(found_apk_sig_scheme_ids)
        self._errors: list[SigningIssue] = []
        self._warnings: list[SigningIssue] = []
        self._present = False
        self._stopped = False  # an error ended verification before the entry stage
        self._records: list = []
        self._manifest_entry = None
        self._manifest_bytes = b""
        self._manifest_main: Section | None = None
        self._sections: dict[str, Section] = {}
        self._signers: list[JarSigner] = []
        self._wanted: dict[str, list[tuple[str, bytes]] | Exception] = {}
        self._actual: dict[str, dict[str, bytes]] = {}
        self._entry_errors: dict[str, Exception] = {}
        self._collect = False
        self._lfh_checked: set[int] = set()
        self._entry_digest_algs: set[str] = set()  # MANIFEST.MF digest algorithms checked over entries
        self._result: V1Result | None = None
        try:
            self._prepare()
        except Fatal as e:
            self._errors.append(e.issue)
            self._stopped = True
        except Exception as e:  # never let a hostile APK crash the scan
            self._errors.append(issue("UNEXPECTED_EXCEPTION", f"{type(e).__name__}: {e}"))
            self._stopped = True

    def set_found_apk_sig_scheme_ids(self, ids: Iterable[int]) -> None:
        self._found = frozenset(int(i) for i in ids)

    # -- entry consumer protocol -----------------------------------------------------------------

    def wants(self, entry) -> bool:
        if entry.method not in (METHOD_STORED, METHOD_DEFLATED):
            return False  # read by finish() the way apksig does (see _read_entry)
        name = jar_name(entry)
        return self._collect and name not in self._actual and isinstance(self._wanted.get(name), list)

    def consume(self, entry, data: bytes) -> None:
        name = jar_name(entry)
        algs = self._wanted.get(name)
        if not isinstance(algs, list) or name in self._actual or entry.method not in (METHOD_STORED, METHOD_DEFLATED):
            return
        self._actual[name] = {alg: jca_digest(alg, data) for alg, _ in algs}

    # Big entries in pieces (Archive.for_each_entry): the same digests, never the whole entry.
    def takes_pieces(self, entry, head: bytes) -> bool:
        return True

    def consume_piece(self, entry, piece: bytes) -> None:
        state = getattr(self, "_piece", None)
        if state is None or state[0] is not entry:
            algs = self._wanted.get(jar_name(entry))
            hashers = {alg: hashlib.new(HASHLIB[alg]) for alg, _ in algs} if isinstance(algs, list) else {}
            self._piece = state = (entry, hashers)
        for h in state[1].values():
            h.update(piece)

    def end_entry(self, entry) -> None:
        state, self._piece = getattr(self, "_piece", None), None
        name = jar_name(entry)
        if state is not None and state[0] is entry and state[1] and name not in self._actual:
            self._actual[name] = {alg: h.digest() for alg, h in state[1].items()}

    def entry_error(self, entry, err) -> None:
        self._entry_errors.setdefault(jar_name(entry), err)

    def finish(self) -> V1Result:
        if self._result is None:
            verified = False
            if not self._stopped:
                try:
                    verified = self._verify_rest()
                except Fatal as e:
                    self._errors.append(e.issue)
                except Exception as e:
                    self._errors.append(issue("UNEXPECTED_EXCEPTION", f"{type(e).__name__}: {e}"))
            self._result = self._build_result(verified)
        return self._result

    # -- reading ------------------------------------------------------------------------------------

    def _read(self, entry, limit: int = MAX_META_FILE_SIZE) -> bytes:
        try:
            return self._read_entry(entry, limit)
        except Exception as e:
            raise Fatal(_unreadable(entry.name, e)) from e

    def _check_local_header(self, entry) -> None:
        """apksig LocalFileRecord.getRecord (and libziparchive) refuse an entry whose local header
        disagrees with the central directory: name, data-descriptor flag, and CRC-32 and sizes
        when no data descriptor follows."""
        if id(entry) in self._lfh_checked:
            return
        lfh = getattr(entry, "local_header", None)
        cd_offset = self._archive.cd_offset
        if lfh is None or not entry.readable:
            raise ValueError(f"no valid local file header for {entry.name}")
        if entry.local_header_offset + 30 + len(entry.raw_name) > cd_offset:
            raise ValueError(f"local file header of {entry.name} extends beyond start of central directory")
        descriptor = bool(lfh.flags & 0x08)
        if descriptor != bool(entry.flags & 0x08):
            raise ValueError(f"data descriptor presence mismatch between local header and central directory for {entry.name}")
        if not descriptor:
            for field in ("crc32", "compressed_size", "uncompressed_size"):
                cd_value, local = getattr(entry, field), getattr(lfh, field)
                if 0xFFFFFFFF not in (cd_value, local) and local != cd_value:  # Zip64 is the archive's business
                    raise ValueError(f"{field} mismatch between local header and central directory for {entry.name}")
        local_name = bytes(lfh.raw_name).decode("utf-8", errors="replace")
        if lfh.name_length > len(entry.raw_name) or local_name != jar_name(entry):
            raise ValueError(f"name mismatch between local header and central directory for {entry.name}")
        span = entry.uncompressed_size if entry.method == METHOD_STORED else entry.compressed_size
        if entry.data_offset + span > cd_offset:
            raise ValueError(f"data of {entry.name} overlaps with central directory")
        self._lfh_checked.add(id(entry))

    def _read_entry(self, entry, limit: int | None) -> bytes:
        """Uncompressed data as apksig's LocalFileRecord reads it for JAR verification: any method other
        than STORED is inflated (the archive layer reads unknown methods as STORED, like Android's
        resource loader; apksig and libziparchive's extraction inflate them)."""
        self._check_local_header(entry)
        if entry.method in (METHOD_STORED, METHOD_DEFLATED):
            return self._archive.read(entry, max_size=limit)
        if limit is None:
            limits = getattr(self._archive, "limits", None)
            limit = getattr(limits, "max_entry_size", DEFAULT_MAX_ENTRY_SIZE)
        raw = self._archive.read_at(entry.data_offset, entry.compressed_size)
        ceiling = min(entry.uncompressed_size, limit)
        try:
            out = zlib.decompressobj(-15).decompress(raw, ceiling + 1)
        except zlib.error as e:
            raise ValueError(f"data of entry {entry.name} malformed: {e}") from e
        if len(out) > ceiling and ceiling < entry.uncompressed_size:
            raise _LimitExceeded(f"more than {ceiling} bytes uncompressed")
        if len(out) != entry.uncompressed_size:
            raise ValueError(f"unexpected size of uncompressed data: expected {entry.uncompressed_size}, got {len(out)}")
        return out

    # -- stages done at construction: everything but the entries' data and the stripping check ----

    def _prepare(self) -> None:
        # apksig ignores directory entries everywhere in v1 (V1SchemeVerifier.parseZipCentralDirectory)
        records = [(n, e) for n, e in ((jar_name(e), e) for e in self._archive.entries) if not n.endswith("/")]
        self._records = records
        seen: set[str] = set()
        reported: set[str] = set()
        for name, _ in records:
            if name in seen and name not in reported:
                reported.add(name)
                self._errors.append(issue("JAR_SIG_DUPLICATE_ZIP_ENTRY", name))
            seen.add(name)

        sf_entries: dict[str, object] = {}
        blocks = []
        for name, e in records:
            if not name.startswith("META-INF/"):
                continue
            if self._manifest_entry is None and name == MANIFEST_ENTRY_NAME:
                self._manifest_entry = e
            elif name.endswith(".SF"):
                sf_entries[name] = e
            elif name.endswith((".RSA", ".DSA", ".EC")):
                blocks.append((name, e))
        self._present = bool(sf_entries or blocks)
        if self._errors:
            self._stopped = True
            return
        if self._manifest_entry is None:
            raise Fatal(issue("JAR_SIG_NO_MANIFEST"))

        self._manifest_bytes = self._read(self._manifest_entry)
        try:
            self._manifest_main, individual = jar_manifest.parse(self._manifest_bytes)
        except jar_manifest.ManifestFormatError as e:
            raise Fatal(issue("VERIFICATION_INCOMPLETE", f"META-INF/MANIFEST.MF: {e}")) from e
        if self._manifest_main is None:
            self._manifest_main = Section(0, 0, ())
        names = set(seen)
        for number, section in enumerate(individual, 1):
            name = section.name
            if name is None:
                self._errors.append(issue("JAR_SIG_UNNNAMED_MANIFEST_SECTION", number))
                continue
            if name in self._sections:
                self._sections[name] = section  # a later duplicate replaces the earlier one (HashMap.put)
                self._errors.append(issue("JAR_SIG_DUPLICATE_MANIFEST_SECTION", name))
                continue
            self._sections[name] = section
            if name not in names:
                self._errors.append(issue("JAR_SIG_MISSING_ZIP_ENTRY_REFERENCED_IN_MANIFEST", name))
        if self._errors:
            self._stopped = True
            return

        for block_name, block in blocks:
            sf_name = block_name[: block_name.rfind(".")] + ".SF"
            sf = sf_entries.get(sf_name)
            if sf is None:
                self._warnings.append(issue("JAR_SIG_MISSING_FILE", block_name, sf_name))
                continue
            self._signers.append(JarSigner(block_name, block, sf_name, sf))
        if not self._signers:
            raise Fatal(issue("JAR_SIG_NO_SIGNATURES"))
        if len(self._signers) > MAX_APK_SIGNERS:
            raise Fatal(issue("JAR_SIG_MAX_SIGNATURES_EXCEEDED", MAX_APK_SIGNERS, len(self._signers)))

        # Every signature block must verify against its .SF; any failure ends verification.
        for signer in self._signers:
            self._verify_block(signer)
        if any(s.errors for s in self._signers):
            self._stopped = True
            return

        for signer in self._signers:
            self._check_sf_digests(signer)
        live = [s for s in self._signers if not s.ignored]
        if not live or any(s.digest_errors or s.digest_failure for s in live):
            return  # finish() reports it; no entry data is needed

        for name, _ in records:
            if name.startswith("META-INF/") or name not in self._sections:
                continue
            try:
                self._wanted[name] = digests_to_verify(self._sections[name], "-Digest", self._min, self._max)
            except jar_manifest.Base64Error as err:
                self._wanted[name] = err
        self._collect = True

    # -- stages 4 and 5 (apkscan.signing.v1_signers, v1_sf_checks) ---------------------------------

    def _verify_block(self, signer: JarSigner) -> None:
        block = self._read(signer.block_entry, MAX_SIGNATURE_BLOCK_SIZE)
        signer.sf_bytes = self._read(signer.sf_entry)
        verify_block(signer, block, self._min, self._max)

    def _check_sf_digests(self, signer: JarSigner) -> None:
        check_sf_digests(signer, self._manifest_bytes, self._manifest_main, self._sections, self._min, self._max)

    # -- finish: stripping check, entries, unprotected files ---------------------------------------

    def _verify_rest(self) -> bool:
        for signer in self._signers:
            if signer.version_missing:
                continue  # ignored before any other .SF check
            strip_errors: list[SigningIssue] = []
            strip_warnings: list[SigningIssue] = []
            if self._max >= N and self._found is not None:
                strip_errors, strip_warnings = stripping_issues(signer, self._found, self._max)
            signer.warnings.extend(strip_warnings)
            if strip_errors:
                signer.errors.extend(strip_errors)
                signer.ignored = False
                signer.entry_names = set()
                continue
            if signer.digest_failure is not None:
                raise Fatal(issue("UNEXPECTED_EXCEPTION", f"IllegalArgumentException: {signer.digest_failure}"))
            signer.warnings.extend(signer.digest_warnings)
            signer.errors.extend(signer.digest_errors)
        if any(s.errors and not s.ignored for s in self._signers):
            return False
        signers = [s for s in self._signers if not s.ignored]
        if not signers:
            self._errors.append(issue("JAR_SIG_NO_SIGNATURES"))
            return False

        apk_signers = self._verify_entries(signers)
        if self._errors:
            return False
        signature_names = {MANIFEST_ENTRY_NAME}
        for s in apk_signers:
            signature_names.update((s.block_name, s.sf_name))
        for name, _ in self._records:
            if name.startswith("META-INF/") and name not in signature_names:
                self._warnings.append(issue("JAR_SIG_UNPROTECTED_ZIP_ENTRY", name))
        for s in signers:
            if s not in apk_signers:
                s.ignored = True
        return True

    def _verify_entries(self, signers: list[JarSigner]) -> list[JarSigner]:
        """Entries outside META-INF/ against the manifest, in file order (apksig sorts by local
        header offset): listed, signed by one same set of signers, data matching the digests."""
        first_signers: list[JarSigner] | None = None
        first_name = ""
        ordered = sorted(self._records, key=lambda r: r[1].local_header_offset)
        for name, e in ordered:
            if name.startswith("META-INF/"):
                continue
            section = self._sections.get(name)
            if section is None:
                self._errors.append(issue("JAR_SIG_NO_ZIP_ENTRY_DIGEST_IN_MANIFEST", name))
                continue
            entry_signers = [s for s in signers if name in s.entry_names]
            if not entry_signers:
                self._errors.append(issue("JAR_SIG_ZIP_ENTRY_NOT_SIGNED", name))
                continue
            if first_signers is None:
                first_signers, first_name = entry_signers, name
            elif entry_signers != first_signers:
                self._errors.append(issue("JAR_SIG_ZIP_ENTRY_SIGNERS_MISMATCH", first_name,
                                          [s.name for s in first_signers], name, [s.name for s in entry_signers]))
                continue
            expected = self._wanted.get(name)
            if expected is None:
                expected = digests_to_verify(section, "-Digest", self._min, self._max)
            if isinstance(expected, Exception):
                raise Fatal(issue("UNEXPECTED_EXCEPTION", f"IllegalArgumentException: {expected}"))
            if not expected:
                self._errors.append(issue("JAR_SIG_NO_ZIP_ENTRY_DIGEST_IN_MANIFEST", name))
                continue
            actual = self._entry_digests(name, e, expected)
            for alg, digest in expected:
                self._entry_digest_algs.add(alg)
                if actual[alg] != digest:
                    self._errors.append(issue("JAR_SIG_ZIP_ENTRY_DIGEST_DID_NOT_VERIFY", name, alg,
                                              MANIFEST_ENTRY_NAME, b64(actual[alg]), b64(digest)))
        if first_signers is None:
            self._errors.append(issue("JAR_SIG_NO_SIGNED_ZIP_ENTRIES"))
            return []
        return first_signers

    def _entry_digests(self, name: str, entry, expected: list[tuple[str, bytes]]) -> dict[str, bytes]:
        if name in self._entry_errors:
            raise Fatal(_unreadable(name, self._entry_errors[name]))
        try:
            self._check_local_header(entry)
        except ValueError as e:
            raise Fatal(_unreadable(name, e)) from e
        actual = self._actual.get(name)
        if actual is None or any(alg not in actual for alg, _ in expected):
            try:
                data = self._read_entry(entry, None)
            except Exception as e:
                raise Fatal(_unreadable(name, e)) from e
            actual = {alg: jca_digest(alg, data) for alg, _ in expected}
            del data
        return actual

    # -- result -----------------------------------------------------------------------------

    def _build_result(self, verified: bool) -> V1Result:
        issues = list(self._errors)
        warnings = list(self._warnings)
        verified_signers: list[Signer] = []
        extracted: dict[str, Signer] = {}
        ids: list[int] = []
        for s in self._signers:
            if s.ignored:
                warnings.extend(replace(i, message=f"(ignored signer) {i.message}") for i in s.errors + s.warnings)
            else:
                issues.extend(s.errors)
                warnings.extend(s.warnings)
            for cert in s.bag:
                try:
                    described = describe_certificate(cert)
                except Exception:
                    continue
                extracted.setdefault(described.cert_sha256, described)
            if s.sf_main is not None:
                value = s.sf_main.get(SF_ATTRIBUTE_ANDROID_APK_SIGNED)
                if value is not None:
                    ids.extend(i for i in parse_apk_signed_ids(value) if i not in ids)
        verified = verified and not issues
        algorithms: list[dict] = []
        if verified:
            live = [s for s in self._signers if not s.ignored]
            verified_signers = [describe_certificate(s.certificate) for s in live]
            for s, described in zip(live, verified_signers):
                algorithms.append({
                    "scheme": "v1",
                    "cert_sha256": described.cert_sha256,
                    "signature_algorithm": s.signature_algorithm,
                    "signature_digest": s.signature_digest,
                    "content_digests": sorted(s.sf_digests | self._entry_digest_algs),
                })
        return V1Result(
            present=self._present,
            verified=verified,
            signers=tuple(verified_signers),
            issues=tuple(issues),
            warnings=tuple(warnings),
            apk_signed_scheme_ids=tuple(sorted(ids)),
            extracted_certificates=tuple(extracted.values()),
            algorithms=tuple(algorithms),
        )
