"""The trust store: which apps are protected, and which signing certificates make them genuine.

Bundled data (``signatures/identities.json`` for apps with known packages, ``brands.json`` for
government and utility brands) is merged with user trust files written by
``apkscan trust enroll APK --id ID``. Enrolling records the APK's *verified* signer(s), its
proof-of-rotation ancestors and its launcher-icon hash; it never edits the installed package.

Trust file format (JSON)::

    {"format": "apkscan-trust", "version": 1,
     "identities": [{"id", "name", "packages", "labels", "cert_sha256", "icon_hashes",
                     "enrollments": [{"apk_sha256", "apk_name", "package", "version_code",
                                      "version_name", "signers", "lineage", "icon", "enrolled_at",
                                      "tool"}]}]}
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import re
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Mapping

from apkscan.datafiles import signatures_dir

TRUST_FORMAT = "apkscan-trust"
TRUST_VERSION = 1
MAX_TRUST_FILE = 8 << 20
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class TrustError(Exception):
    """Enrollment refused or a trust file unusable; the message says why, for the user."""


@dataclass(frozen=True)
class ProtectedIdentity:
    id: str
    name: str
    kind: str = "app"  # app: has genuine packages; brand: a body whose name fake apps borrow
    packages: tuple[str, ...] = ()
    cert_sha256: frozenset[str] = frozenset()
    labels: tuple[str, ...] = ()
    package_tokens: tuple[str, ...] = ()
    phrases: tuple[Mapping[str, str], ...] = ()  # brands: {"text", "match"}
    forbidden_capabilities: tuple[str, ...] = ()
    icon_hashes: tuple[str, ...] = ()
    origins: tuple[str, ...] = ("bundled",)

    @property
    def certificate_enrolled(self) -> bool:
        return bool(self.cert_sha256)

    def owns(self, package: str | None) -> bool:
        return bool(package) and package in self.packages


@dataclass(frozen=True)
class TrustStore:
    identities: tuple[ProtectedIdentity, ...]
    sources: tuple[Mapping[str, Any], ...] = ()  # chain of custody: each file used, with its SHA-256
    problems: tuple[str, ...] = ()
    filler_words: tuple[str, ...] = ()
    guide_words: tuple[str, ...] = ()

    def get(self, identity_id: str) -> ProtectedIdentity | None:
        for ident in self.identities:
            if ident.id == identity_id:
                return ident
        return None

    def owners_of(self, package: str | None) -> list[ProtectedIdentity]:
        return [i for i in self.identities if i.owns(package)]

    def trusting(self, certs: Iterable[str]) -> list[ProtectedIdentity]:
        wanted = {normalize_fingerprint(c) for c in certs if c}
        return [i for i in self.identities if i.cert_sha256 & wanted]

    @property
    def has_icons(self) -> bool:
        return any(i.icon_hashes for i in self.identities)


def normalize_fingerprint(value: str) -> str:
    return str(value or "").replace(":", "").replace(" ", "").strip().lower()


# ---------------------------------------------------------------- bundled data

def _bundled() -> tuple[list[ProtectedIdentity], dict]:
    folder = signatures_dir()
    apps = json.loads((folder / "identities.json").read_text(encoding="utf-8"))
    brands = json.loads((folder / "brands.json").read_text(encoding="utf-8"))
    out = []
    for raw in apps.get("identities", ()):
        out.append(ProtectedIdentity(
            id=raw["id"], name=raw.get("name", raw["id"]), kind="app",
            packages=tuple(raw.get("packages", ())),
            cert_sha256=frozenset(normalize_fingerprint(c) for c in raw.get("cert_sha256", ()) if c),
            labels=tuple(raw.get("labels", ())),
            package_tokens=tuple(raw.get("package_tokens", ())),
            forbidden_capabilities=tuple(raw.get("forbidden_capabilities", ())),
            icon_hashes=tuple(raw.get("icon_hashes", ())),
        ))
    brand_forbidden = tuple(brands.get("forbidden_capabilities", ()))
    for raw in brands.get("brands", ()):
        out.append(ProtectedIdentity(
            id=raw["id"], name=raw.get("name", raw["id"]), kind="brand",
            packages=tuple(raw.get("packages", ())),
            phrases=tuple(raw.get("phrases", ())),
            package_tokens=tuple(raw.get("package_tokens", ())),
            forbidden_capabilities=tuple(raw.get("forbidden_capabilities", brand_forbidden)),
        ))
    words = {"filler_words": tuple(brands.get("filler_words", ())), "guide_words": tuple(brands.get("guide_words", ()))}
    return out, words


# ---------------------------------------------------------------- user trust files

def default_trust_file() -> Path:
    """``$APKSCAN_TRUST_FILE``, else ``<user config dir>/apkscan/trust.json`` (XDG_CONFIG_HOME or
    ~/.config on Unix, %APPDATA% on Windows, ~/Library/Application Support on macOS)."""
    env = os.environ.get("APKSCAN_TRUST_FILE")
    if env:
        return Path(env).expanduser()
    if sys.platform.startswith("win"):
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "apkscan" / "trust.json"


def empty_trust_document() -> dict:
    return {"format": TRUST_FORMAT, "version": TRUST_VERSION, "identities": []}


def read_trust_file(path: str | os.PathLike) -> tuple[dict, str]:
    """-> (validated document, sha256 of the bytes). Raises TrustError with a clear message."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_TRUST_FILE:
            raise TrustError(f"{p}: trust file is {size} bytes, more than the {MAX_TRUST_FILE} allowed")
        raw = p.read_bytes()
    except OSError as exc:
        raise TrustError(f"{p}: cannot read trust file ({exc.strerror or exc})") from None
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise TrustError(f"{p}: not a JSON trust file ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != TRUST_FORMAT:
        raise TrustError(f"{p}: not an apkscan trust file (\"format\" must be \"{TRUST_FORMAT}\")")
    if doc.get("version") != TRUST_VERSION:
        raise TrustError(f"{p}: trust file version {doc.get('version')!r} is not supported (expected {TRUST_VERSION})")
    if not isinstance(doc.get("identities"), list):
        raise TrustError(f"{p}: \"identities\" must be a list")
    for item in doc["identities"]:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not _ID_RE.match(item["id"]):
            raise TrustError(f"{p}: every identity needs an \"id\" of lower-case letters, digits, '.', '_' or '-'")
        for cert in item.get("cert_sha256", ()):
            if not isinstance(cert, str) or not _HEX64.match(normalize_fingerprint(cert)):
                raise TrustError(f"{p}: identity {item['id']}: {cert!r} is not a SHA-256 fingerprint")
        for key in ("packages", "labels", "icon_hashes", "cert_sha256"):
            if not all(isinstance(v, str) for v in item.get(key, ())):
                raise TrustError(f"{p}: identity {item['id']}: \"{key}\" must be a list of strings")
    return doc, hashlib.sha256(raw).hexdigest()


def _merge_user(base: list[ProtectedIdentity], doc: dict, origin: str) -> list[ProtectedIdentity]:
    by_id = {i.id: i for i in base}
    order = [i.id for i in base]
    for item in doc["identities"]:
        iid = item["id"]
        certs = frozenset(normalize_fingerprint(c) for c in item.get("cert_sha256", ()))
        known = by_id.get(iid)
        if known is None:
            by_id[iid] = ProtectedIdentity(
                id=iid, name=item.get("name") or iid, kind="app",
                packages=tuple(item.get("packages", ())), cert_sha256=certs,
                labels=tuple(item.get("labels", ())), package_tokens=tuple(item.get("package_tokens", ())),
                forbidden_capabilities=tuple(item.get("forbidden_capabilities", ())),
                icon_hashes=tuple(item.get("icon_hashes", ())), origins=(origin,),
            )
            order.append(iid)
        else:
            packages = known.packages + tuple(p for p in item.get("packages", ()) if p not in known.packages)
            by_id[iid] = replace(
                known,
                kind="app" if packages else known.kind,
                packages=packages,
                cert_sha256=known.cert_sha256 | certs,
                labels=known.labels + tuple(l for l in item.get("labels", ()) if l not in known.labels),
                icon_hashes=known.icon_hashes + tuple(h for h in item.get("icon_hashes", ()) if h not in known.icon_hashes),
                origins=known.origins + (origin,),
            )
    return [by_id[i] for i in order]


_STORE_CACHE: dict[tuple, TrustStore] = {}


def load_store(trust_files: Iterable[str | os.PathLike] = ()) -> TrustStore:
    """Bundled identities merged with the given user trust files (in order). A file that cannot
    be used is reported in ``problems`` (and its identities ignored), never raised: a batch scan
    goes on, and the report says the trust file was not applied."""
    paths = tuple(str(p) for p in trust_files)
    key = tuple((p, *_stat_key(p)) for p in paths)
    cached = _STORE_CACHE.get(key)
    if cached is not None:
        return cached
    identities, words = _bundled()
    sources: list[dict] = [{"path": "bundled:signatures/identities.json+brands.json"}]
    problems: list[str] = []
    for path in paths:
        try:
            doc, digest = read_trust_file(path)
        except TrustError as exc:
            problems.append(str(exc))
            continue
        identities = _merge_user(identities, doc, path)
        sources.append({"path": path, "sha256": digest, "identities": len(doc["identities"])})
    store = TrustStore(tuple(identities), tuple(sources), tuple(problems),
                       words["filler_words"], words["guide_words"])
    if len(_STORE_CACHE) > 32:
        _STORE_CACHE.clear()
    _STORE_CACHE[key] = store
    return store


def _stat_key(path: str) -> tuple:
    try:
        st = os.stat(path)
        return st.st_mtime_ns, st.st_size
    except OSError:
        return (None, None)


# ---------------------------------------------------------------- trust decision

@dataclass(frozen=True)
class SignerTrust:
    # trusted: an enrolled certificate (or its verified rotation) signed it;
    # foreign: certificates are enrolled for the identity, and this signer is not one of them;
    # not_enrolled: no certificate is enrolled for the identity, so nothing can be compared;
    # unverified: no verified signer at all
    status: str
    identity: str | None = None  # the identity trusting it (trusted only)
    matched: tuple[str, ...] = ()  # enrolled fingerprints that matched
    via_lineage: bool = False


def signer_trust(identity: ProtectedIdentity | None, signing: Any) -> SignerTrust:
    """Does ``signing`` (a model.SigningResult) carry a certificate enrolled for ``identity``?

    Only *verified* signers count: certificates merely present in the APK prove nothing. Each
    current signer must be enrolled itself or be the successor, in a verified proof-of-rotation
    lineage, of an enrolled ancestor."""
    if signing is None or getattr(signing, "verified", None) is not True or not getattr(signing, "signers", ()):
        return SignerTrust("unverified")
    if identity is None or not identity.cert_sha256:
        return SignerTrust("not_enrolled")  # not "foreign": there is nothing to differ from
    signers = {normalize_fingerprint(s.cert_sha256) for s in signing.signers}
    lineage = {normalize_fingerprint(n.get("cert_sha256", "")) for n in (getattr(signing, "lineage", ()) or ())
               if isinstance(n, Mapping)} - {""}
    direct = signers & identity.cert_sha256
    ancestors = lineage & identity.cert_sha256
    if signers <= identity.cert_sha256:
        return SignerTrust("trusted", identity.id, tuple(sorted(direct)))
    if ancestors and signers <= (lineage | identity.cert_sha256):
        return SignerTrust("trusted", identity.id, tuple(sorted(ancestors | direct)), via_lineage=True)
    return SignerTrust("foreign")


# ---------------------------------------------------------------- enrollment

@dataclass(frozen=True)
class EnrollResult:
    identity: str
    trust_file: str
    package: str
    added_certificates: tuple[str, ...]
    known_certificates: tuple[str, ...]
    icon_hash: str | None
    created_identity: bool
    apk_sha256: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


def _refuse_package_dir(path: Path) -> None:
    """Never write into the installed package (or the source tree's bundled data)."""
    target = path.resolve()
    pkg_root = Path(__file__).resolve().parent
    for protected in (pkg_root, signatures_dir().resolve()):
        if target == protected or protected in target.parents:
            raise TrustError(f"refusing to write {target}: it is inside apkscan's own data ({protected}); "
                             f"use a trust file in your config directory (default {default_trust_file()})")


def enroll_scanned(result: Any, identity_id: str, trust_file: str | os.PathLike | None = None, *,
                   icon_hash: str | None = None, allow_new_package: bool = False,
                   now: _dt.datetime | None = None) -> EnrollResult:
    """Add a scanned reference APK (a model.ScanResult) to a user trust file.

    Refused when the APK could not be analysed, its signature does not verify, or its package
    is not one of the identity's packages (unless ``allow_new_package``)."""
    identity_id = (identity_id or "").strip().lower()
    if not _ID_RE.match(identity_id):
        raise TrustError(f"identity id {identity_id!r}: use lower-case letters, digits, '.', '_' or '-'")
    path = Path(trust_file) if trust_file else default_trust_file()
    _refuse_package_dir(path)
    if getattr(result, "status", None) != "ok" or result.app is None:
        err = getattr(result, "error", None)
        raise TrustError(f"cannot enroll {result.input.path}: the APK could not be analysed"
                         + (f" ({err.code}: {err.message})" if err else ""))
    signing = result.signing
    if signing is None or signing.verified is not True or not signing.signers:
        issues = ", ".join(i.name for i in (signing.issues if signing else ())[:5]) or "no verified signer"
        raise TrustError(f"cannot enroll {result.input.path}: its signature does not verify ({issues}); "
                         "only a verified signer can be trusted")
    package = result.app.package
    if not package:
        raise TrustError(f"cannot enroll {result.input.path}: the manifest names no package")

    if path.exists():
        doc, _ = read_trust_file(path)
    else:
        doc = empty_trust_document()
    store = _merge_user(_bundled()[0], doc, str(path))
    known = next((i for i in store if i.id == identity_id), None)
    notes = []
    if known is not None and known.packages and package not in known.packages and not allow_new_package:
        raise TrustError(
            f"cannot enroll {package} as {identity_id}: {known.name} uses {', '.join(known.packages)}. "
            "If this really is the genuine app under another package, pass --allow-new-package.")
    if known is not None and package not in known.packages:
        notes.append(f"package {package} added to {identity_id}")

    entry = next((i for i in doc["identities"] if i.get("id") == identity_id), None)
    created = known is None
    if entry is None:
        entry = {"id": identity_id, "name": known.name if known else (result.app.label or identity_id),
                 "packages": [], "labels": [], "cert_sha256": [], "icon_hashes": [], "enrollments": []}
        doc["identities"].append(entry)
    for key in ("packages", "labels", "cert_sha256", "icon_hashes", "enrollments"):
        entry.setdefault(key, [])
    if package not in entry["packages"]:
        entry["packages"].append(package)
    if created or not (known and known.labels):
        for label in [result.app.label, *dict(result.app.labels or {}).values()]:
            if label and label not in entry["labels"]:
                entry["labels"].append(label)

    signer_certs = [normalize_fingerprint(s.cert_sha256) for s in signing.signers]
    lineage_certs = [normalize_fingerprint(n.get("cert_sha256", "")) for n in (signing.lineage or ())
                     if isinstance(n, Mapping) and n.get("cert_sha256")]
    existing = {normalize_fingerprint(c) for c in entry["cert_sha256"]} | (set(known.cert_sha256) if known else set())
    added = []
    for cert in signer_certs + lineage_certs:
        if cert and cert not in existing:
            entry["cert_sha256"].append(cert)
            existing.add(cert)
            added.append(cert)
    if icon_hash and icon_hash not in entry["icon_hashes"]:
        entry["icon_hashes"].append(icon_hash)
    when = (now or _dt.datetime.now(_dt.timezone.utc)).astimezone(_dt.timezone.utc)
    from apkscan import __version__

    entry["enrollments"].append({
        "apk_sha256": result.input.sha256,
        "apk_name": os.path.basename(result.input.path),
        "package": package,
        "version_code": result.app.version_code,
        "version_name": result.app.version_name,
        "signers": [{"cert_sha256": normalize_fingerprint(s.cert_sha256), "subject": s.subject} for s in signing.signers],
        "lineage": lineage_certs,
        "schemes": list(signing.schemes),
        "icon": icon_hash,
        "enrolled_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "tool": f"apkscan {__version__}",
    })
    _write_atomic(path, doc)
    return EnrollResult(identity_id, str(path), package, tuple(added), tuple(sorted(existing)), icon_hash,
                        created, result.input.sha256, tuple(notes))


def _write_atomic(path: Path, doc: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    data = json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=False) + "\n"
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def enroll(apk_path: str | os.PathLike, identity_id: str, trust_file: str | os.PathLike | None = None, *,
           allow_new_package: bool = False, config: Any = None) -> EnrollResult:
    """Scan a reference APK (for instance pulled from a phone that installed it from Google Play)
    and add its verified signer(s) and launcher-icon hash to a user trust file."""
    from apkscan.scan import scan_file

    result = scan_file(str(apk_path), config)
    icon = reference_icon_hash(str(apk_path), result)
    return enroll_scanned(result, identity_id, trust_file, icon_hash=icon, allow_new_package=allow_new_package)


def reference_icon_hash(apk_path: str, result: Any) -> str | None:
    """Perceptual hash of the scanned APK's launcher icon, or None when it has none we can read."""
    icon_path = getattr(getattr(result, "app", None), "icon_path", None)
    if not icon_path:
        return None
    from apkscan.analyzers.icon_hash import hash_icon
    from apkscan.analyzers.icon_hash import MAX_ICON_BYTES
    try:
        from apkscan.archive import open_archive

        with open_archive(apk_path) as arc:
            data = arc.read(icon_path, max_size=MAX_ICON_BYTES)
    except Exception:
        return None
    icon = hash_icon(data)
    return icon.to_text() if icon else None
