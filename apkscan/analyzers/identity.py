"""Who does this APK pretend to be, and is it?

``resolve(ctx) -> (Identity, [Finding])`` compares the app with the protected identities of the
trust store (``apkscan.trust``): its labels (after NFKC, diacritic and case folding and TR39
confusable skeletons, with edit distance), its package name (the genuine one, an extension of it,
a look-alike, a brand token), its launcher icon (perceptual hash against icons enrolled with
``apkscan trust enroll``) and its capabilities against the identity's profile (VNeID needs no
SMS, accessibility or overlay). The result names the identity claimed, the identity whose
enrolled certificate a *verified* signer carries, the reasons (English and Vietnamese) and a
similarity score.

``identity_verdict_hint(identity, signing)`` turns that into 'genuine', 'fake' or None:
* genuine: the package belongs to the identity and a verified signer (or a proof-of-rotation
  ancestor) is enrolled for it;
* fake: the app presents itself as a protected app whose package it does not have; or it has a
  protected package with a foreign (enrolled identity, other certificate) or unverifiable
  signer, or with capabilities the genuine app never has (a trojanised copy); or it presents
  itself as a government brand with capabilities such a body's app never needs;
* None: nothing claimed, or the identity has no enrolled certificate to decide with (the
  identity says so plainly: ``signer_status`` "not_enrolled", ``certificate_enrolled`` False, a
  reason, and the finding IMPERSONATION_CERT_NOT_ENROLLED).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from apkscan.analyzers import fraud_findings
from apkscan.analyzers.base import ScanContext
from apkscan.analyzers.capabilities import Capabilities, capabilities
from apkscan.analyzers.icon_hash import MAX_ICON_BYTES, IconHash, hash_icon, matches, near_copy, similarity
from apkscan.analyzers.permissions import catalogue as permission_catalogue
from apkscan.analyzers.text_similarity import MAX_TEXT, compare, find_phrase, tokens
from apkscan.model import AppFacts, Finding, Identity, SigningResult
from apkscan.trust import ProtectedIdentity, TrustStore, load_store, signer_trust

SOURCE = "identity"
CLAIM_THRESHOLD = 0.8
MAX_LABELS = 20
# Package segments that say nothing about who the app is.
GENERIC_SEGMENTS = frozenset({"com", "vn", "org", "net", "gov", "app", "apps", "android", "mobile", "www", "io"})


@dataclass(frozen=True)
class Signal:
    kind: str  # label | package | package_token | icon
    value: str  # what the APK has
    reference: str  # what it resembles
    how: str  # exact | folded | confusable | edit | contains | prefix | extends | token | icon
    similarity: float
    strong: bool  # enough on its own to claim the identity
    guide: bool = False  # the label talks about the brand (a how-to guide, news) without being it

    def to_dict(self) -> dict:
        return {"kind": self.kind, "value": self.value, "reference": self.reference, "how": self.how,
                "similarity": self.similarity, "strong": self.strong, "guide": self.guide}


@dataclass(frozen=True)
class ResolvedIdentity(Identity):
    """model.Identity plus what the verdict needs and a report may show."""

    claimed_name: str | None = None
    claimed_kind: str | None = None  # app | brand
    package_owned: bool | None = None  # None: the claimed identity has no known package
    # for the claimed identity (apkscan.trust.SignerTrust): trusted | foreign (enrolled, other
    # certificate) | not_enrolled (no certificate enrolled to compare with) | unverified
    signer_status: str | None = None
    profile_violation: tuple[str, ...] = ()  # forbidden capabilities the app has
    reasons_vi: tuple[str, ...] = ()
    signals: tuple[Mapping[str, Any], ...] = ()
    trust_sources: tuple[Mapping[str, Any], ...] = ()

    def to_dict(self) -> dict:
        out = super().to_dict()
        out.update({
            "claimed_name": self.claimed_name,
            "claimed_kind": self.claimed_kind,
            "package_owned": self.package_owned,
            "signer_status": self.signer_status,
            "profile_violation": list(self.profile_violation),
            "reasons_vi": list(self.reasons_vi),
            "signals": [dict(s) for s in self.signals],
            "trust_sources": [dict(s) for s in self.trust_sources],
        })
        return out


# English and Vietnamese reason sentences (the report shows them as the verdict's basis).
REASONS = {
    "owned": ("package {package} is {name}'s", "gói {package} là gói của {name}"),
    "trusted": ("signed by a certificate enrolled for {name} ({cert})",
                "được ký bằng chứng chỉ đã đăng ký cho {name} ({cert})"),
    "trusted_lineage": ("signed by a key rotated from a certificate enrolled for {name} ({cert})",
                        "được ký bằng khóa chuyển tiếp từ chứng chỉ đã đăng ký cho {name} ({cert})"),
    "trusted_other_package": ("signed by {name}'s enrolled certificate, but package {package} is not one of {name}'s packages",
                              "được ký bằng chứng chỉ đã đăng ký của {name}, nhưng gói {package} không thuộc {name}"),
    "not_enrolled": ("{name} has no enrolled signing certificate, so apkscan cannot confirm this copy is genuine; "
                     "enroll a copy installed from Google Play with `apkscan trust enroll APK --id {id}`",
                     "{name} chưa có chứng chỉ ký được đăng ký nên apkscan không thể xác nhận bản này là thật; "
                     "hãy đăng ký một bản cài từ Google Play bằng `apkscan trust enroll APK --id {id}`"),
    "foreign": ("signed by {certs}, not by a certificate enrolled for {name}",
                "được ký bằng {certs}, không phải chứng chỉ đã đăng ký cho {name}"),
    "unverified": ("the signature does not verify, and the genuine {name} is always validly signed",
                   "chữ ký số không hợp lệ, trong khi {name} thật luôn được ký hợp lệ"),
    "label": ("label '{value}' {how_en} '{reference}' ({name})", "tên '{value}' {how_vi} '{reference}' ({name})"),
    "package": ("package {value} {how_en} {reference} ({name})", "gói {value} {how_vi} {reference} ({name})"),
    "package_token": ("package {value} contains '{reference}' ({name})", "gói {value} chứa '{reference}' ({name})"),
    "icon": ("launcher icon matches the icon enrolled for {name} (similarity {similarity})",
             "biểu tượng trùng với biểu tượng đã đăng ký của {name} (độ giống {similarity})"),
    "not_owned": ("{name} is published only as {packages}; this APK is {package}",
                  "{name} chỉ phát hành với gói {packages}; APK này là {package}"),
    "brand_no_package": ("no genuine package is known for {name}: the claim alone does not make the app fake",
                         "chưa biết gói chính thức của {name}: riêng việc tự nhận chưa đủ kết luận là giả mạo"),
    "violation": ("{name} never needs {caps}, which this app has", "{name} không bao giờ cần {caps}, nhưng ứng dụng này có"),
    "mention": ("mentions {name} without presenting itself as it ({value})", "nhắc đến {name} nhưng không tự nhận là {name} ({value})"),
    "trust_problem": ("trust file not applied: {problem}", "không áp dụng được tệp tin cậy: {problem}"),
}
HOW = {
    "exact": ("is", "là"), "folded": ("equals, ignoring case and diacritics,", "trùng, khi bỏ dấu và chữ hoa,"),
    "confusable": ("uses look-alike characters for", "dùng ký tự giống hệt để giả"),
    "edit": ("is a near-spelling of", "viết gần giống"), "contains": ("contains", "chứa"),
    "prefix": ("starts with", "bắt đầu bằng"), "extends": ("extends the genuine package", "mở rộng gói chính thức"),
}


def _reason(key: str, en: list[str], vi: list[str], **kw: Any) -> None:
    e, v = REASONS[key]
    how = HOW.get(str(kw.get("how", "")), ("resembles", "giống"))
    kw.setdefault("how_en", how[0])
    kw.setdefault("how_vi", how[1])
    en.append(e.format(**kw))
    vi.append(v.format(**kw))


# ---------------------------------------------------------------- signals

def app_labels(facts: AppFacts) -> list[str]:
    """The app label in every locale plus launcher-activity labels (the launcher shows those)."""
    found: list[str] = []
    candidates = [facts.label, *dict(facts.labels or {}).values()]
    for comp in facts.components or ():
        if comp.kind in ("activity", "activity-alias") and any(
                "android.intent.category.LAUNCHER" in f.categories for f in comp.intent_filters):
            candidates.append((comp.attributes or {}).get("label"))
    for label in candidates:
        if isinstance(label, str) and label.strip() and not label.startswith("@"):
            label = label[:MAX_TEXT]
            if label not in found:
                found.append(label)
    return found[:MAX_LABELS]


class _Words:
    def __init__(self, store: TrustStore) -> None:
        self.filler = [tokens(w) for w in store.filler_words if tokens(w)]
        self.guide = [tokens(w) for w in store.guide_words if tokens(w)]

    def is_guide(self, toks: tuple[str, ...]) -> bool:
        return any(find_phrase(toks, g) >= 0 for g in self.guide)

    def strip_filler(self, toks: list[str]) -> list[str]:
        rest = list(toks)
        for phrase in sorted(self.filler, key=len, reverse=True):
            while True:
                i = find_phrase(tuple(rest), phrase)
                if i < 0:
                    break
                del rest[i:i + len(phrase)]
        return [t for t in rest if not t.isdigit() and not re.fullmatch(r"v?\d+([.]\d+)*", t)]


def _contained(label_toks: tuple[str, ...], ref_toks: tuple[str, ...], prefix: bool) -> tuple[int, int] | None:
    """(start, length in label tokens) of ref inside label, or None."""
    i = find_phrase(label_toks, ref_toks)
    if i >= 0:
        if label_toks[i:i + len(ref_toks)] == ref_toks:
            return i, len(ref_toks)
        glued, acc = "".join(ref_toks), ""
        for j in range(i, len(label_toks)):
            acc += label_toks[j]
            if acc == glued:
                return i, j - i + 1
    if prefix and len(ref_toks) == 1:
        for j, tok in enumerate(label_toks):
            if tok.startswith(ref_toks[0]):
                return j, 1
    return None


def label_signal(label: str, reference: str, words: _Words, match: str = "contains",
                 partial_strength: tuple[float, float] = (0.5, 0.3)) -> Signal | None:
    """How ``label`` relates to a protected label or brand phrase ``reference``."""
    m = compare(label, reference)
    if m.matched:
        return Signal("label", label, reference, m.kind, m.similarity, strong=True)
    ltoks, rtoks = tokens(label), tokens(reference)
    if not ltoks or not rtoks:
        return None
    hit = _contained(ltoks, rtoks, prefix=(match == "prefix"))
    if hit is None:
        return None
    start, length = hit
    rest = words.strip_filler(list(ltoks[:start] + ltoks[start + length:]))
    how = "prefix" if match == "prefix" and ltoks[start] != "".join(rtoks) else "contains"
    if words.is_guide(ltoks):
        return Signal("label", label, reference, how, 0.5, strong=False, guide=True)
    if not rest:
        return Signal("label", label, reference, how, 0.9, strong=True)
    if match == "label":  # generic words ('Thuế') count only as the whole label
        return None
    base, span = partial_strength
    coverage = length / (length + len(rest))
    sim = round(base + span * coverage, 3)
    return Signal("label", label, reference, how, sim, strong=sim >= CLAIM_THRESHOLD)


def _distinctive(package: str) -> str:
    return ".".join(s for s in package.lower().split(".") if s not in GENERIC_SEGMENTS)


def package_signals(package: str, ident: ProtectedIdentity) -> list[Signal]:
    package = package[:MAX_TEXT]
    out: list[Signal] = []
    for genuine in ident.packages:
        if package == genuine:
            continue
        if package.startswith(genuine + "."):
            out.append(Signal("package", package, genuine, "extends", 0.9, strong=True))
            continue
        m = compare(package, genuine)
        if m.matched:
            # An edit of a short name ('com.vnit' vs 'com.vnid') is too weak to claim on its own.
            strong = m.kind != "edit" or len(_distinctive(genuine).replace(".", "")) >= 6
            out.append(Signal("package", package, genuine, m.kind, m.similarity if strong else 0.7, strong=strong))
    segments = [s for s in re.split(r"[._]", package.lower()) if s]
    for token in ident.package_tokens:
        t = token.lower()
        if any(seg == t or (len(t) >= 5 and t in seg) for seg in segments):
            out.append(Signal("package_token", package, token, "token", 0.6, strong=False))
            break
    return out


def icon_signals(icon: IconHash | None, ident: ProtectedIdentity) -> list[Signal]:
    if icon is None:
        return []
    best = None
    for text in ident.icon_hashes:
        ref = IconHash.from_text(text)
        if ref is not None and matches(icon, ref):
            strong = near_copy(icon, ref)
            sim = similarity(icon, ref) if strong else min(similarity(icon, ref), 0.7)
            if best is None or (strong, sim) > (best.strong, best.similarity):
                best = Signal("icon", icon.to_text(), text, "icon", sim, strong=strong)
    return [best] if best else []


@dataclass
class Claim:
    identity: ProtectedIdentity
    owned: bool
    signals: list[Signal] = field(default_factory=list)
    violation: dict[str, list[str]] = field(default_factory=dict)
    strength: float = 0.0
    claimed: bool = False

    @property
    def sort_key(self) -> tuple:
        return (self.owned, self.identity.kind == "app", self.strength)


def evaluate(facts: AppFacts, ident: ProtectedIdentity, words: _Words, caps: Capabilities,
             icon: IconHash | None) -> Claim:
    package = facts.package if isinstance(facts.package, str) else ""
    claim = Claim(ident, owned=ident.owns(package))
    for label in app_labels(facts):
        best = None
        for ref in ident.labels:
            sig = label_signal(label, ref, words)
            if sig and (best is None or (sig.strong, sig.similarity) > (best.strong, best.similarity)):
                best = sig
        for phrase in ident.phrases:
            # A brand phrase in a non-guide label presents the app as that body (0.85 when the
            # label has other words besides it).
            sig = label_signal(label, phrase.get("text", ""), words, phrase.get("match", "contains"),
                               partial_strength=(0.85, 0.0))
            if sig and (best is None or (sig.strong, sig.similarity) > (best.strong, best.similarity)):
                best = sig
        if best:
            claim.signals.append(best)
    if package:
        claim.signals.extend(package_signals(package, ident))
    claim.signals.extend(icon_signals(icon, ident))
    for cap in ident.forbidden_capabilities:
        if caps.has(cap):
            claim.violation[cap] = caps.evidence(cap)[:5]
    strong = [s for s in claim.signals if s.strong]
    weak = [s for s in claim.signals if not s.strong and not s.guide]
    any_signal = bool(claim.signals)
    if claim.owned:
        claim.claimed, claim.strength = True, 1.0
    elif strong:
        claim.claimed, claim.strength = True, max(s.similarity for s in strong)
    elif any_signal and claim.violation:
        claim.claimed, claim.strength = True, CLAIM_THRESHOLD
    elif len({s.kind for s in weak}) >= 2:  # a partial label and a package token together
        claim.claimed, claim.strength = True, CLAIM_THRESHOLD
    else:
        claim.strength = max((s.similarity for s in claim.signals), default=0.0)
    return claim


# ---------------------------------------------------------------- resolution

def resolve_facts(facts: AppFacts, signing: SigningResult | None, store: TrustStore, caps: Capabilities,
                  icon: IconHash | None = None) -> tuple[ResolvedIdentity, list[Finding]]:
    """The pure core of ``resolve``: no archive access, everything passed in."""
    words = _Words(store)
    claims = [evaluate(facts, ident, words, caps, icon) for ident in store.identities]
    claimed = [c for c in claims if c.claimed]
    claimed.sort(key=lambda c: c.sort_key, reverse=True)
    top = claimed[0] if claimed else None
    package = facts.package if isinstance(facts.package, str) else ""
    en: list[str] = []
    vi: list[str] = []
    findings: list[Finding] = []
    make = fraud_findings.make

    for problem in store.problems:
        _reason("trust_problem", en, vi, problem=problem)
        findings.append(make("IMPERSONATION_TRUST_FILE_UNUSABLE", SOURCE, {"problem": problem}))

    # Which enrolled identity, if any, a verified signer belongs to (the claimed one first).
    trusted_ident = None
    order = ([top.identity] if top else []) + [i for i in store.identities if not top or i.id != top.identity.id]
    for ident in order:
        if ident.certificate_enrolled and signer_trust(ident, signing).status == "trusted":
            trusted_ident = ident
            break

    if top is None:
        mentions = [c for c in claims if c.signals]
        if mentions:
            findings.append(make("IMPERSONATION_BRAND_MENTION", SOURCE, {
                "identities": [{"identity": c.identity.id, "signals": [s.to_dict() for s in c.signals]} for c in mentions]}))
            for c in mentions[:3]:
                _reason("mention", en, vi, name=c.identity.name, value=c.signals[0].value)
        if trusted_ident is not None:
            _reason("trusted_other_package", en, vi, name=trusted_ident.name, package=package or "?")
        ident_out = ResolvedIdentity(
            claimed=None, trusted=trusted_ident.id if trusted_ident else None, reasons=tuple(en),
            similarity=max((c.strength for c in claims), default=0.0), certificate_enrolled=None,
            reasons_vi=tuple(vi), signals=tuple(s.to_dict() for c in mentions for s in c.signals),
            trust_sources=store.sources)
        return ident_out, findings

    ident = top.identity
    st = signer_trust(ident, signing)
    is_trusted = st.status == "trusted"
    evidence_base = {"identity": ident.id, "identity_name": ident.name, "package": package,
                     "genuine_packages": list(ident.packages)}

    if top.owned:
        _reason("owned", en, vi, package=package, name=ident.name)
    for sig in top.signals:
        _reason(sig.kind, en, vi, value=sig.value, reference=sig.reference, how=sig.how, name=ident.name,
                similarity=sig.similarity)

    if is_trusted:
        cert = (st.matched[0][:16] + "…") if st.matched else "?"
        _reason("trusted_lineage" if st.via_lineage else "trusted", en, vi, name=ident.name, cert=cert)
        if not top.owned and ident.packages:
            _reason("trusted_other_package", en, vi, name=ident.name, package=package or "?")
    elif top.owned:
        if st.status == "unverified":
            _reason("unverified", en, vi, name=ident.name)
            findings.append(make("IMPERSONATION_UNVERIFIED_SIGNER", SOURCE, {
                **evidence_base, "verified": getattr(signing, "verified", None),
                "issues": [i.name for i in (getattr(signing, "issues", ()) or ())][:10]}))
        elif st.status == "foreign":
            certs = ", ".join(s.cert_sha256[:16] + "…" for s in signing.signers)
            _reason("foreign", en, vi, certs=certs, name=ident.name)
            findings.append(make("IMPERSONATION_FOREIGN_SIGNER", SOURCE, {
                **evidence_base, "signers": [s.cert_sha256 for s in signing.signers],
                "lineage": [n.get("cert_sha256") for n in (signing.lineage or ()) if isinstance(n, Mapping)],
                "enrolled": sorted(ident.cert_sha256)}))
        else:  # not_enrolled: said plainly (severity low, so a text report shows it), never a guess
            _reason("not_enrolled", en, vi, name=ident.name, id=ident.id)
            findings.append(make("IMPERSONATION_CERT_NOT_ENROLLED", SOURCE, {
                **evidence_base, "signers": [s.cert_sha256 for s in (signing.signers if signing else ())]},
                name=ident.name, id=ident.id))
    else:
        if ident.packages:
            _reason("not_owned", en, vi, name=ident.name, packages=", ".join(ident.packages), package=package or "?")
        else:
            _reason("brand_no_package", en, vi, name=ident.name)
        strong_kinds = {s.kind for s in top.signals if s.strong}
        signals = [s.to_dict() for s in top.signals]
        if ident.kind == "brand" and not ident.packages:
            findings.append(make("IMPERSONATION_BRAND", SOURCE, {**evidence_base, "signals": signals}))
        else:
            if "label" in strong_kinds or not strong_kinds:
                findings.append(make("IMPERSONATION_LABEL", SOURCE, {
                    **evidence_base, "labels": [s for s in signals if s["kind"] == "label"] or signals}))
            if "package" in strong_kinds:
                findings.append(make("IMPERSONATION_PACKAGE", SOURCE, {
                    **evidence_base, "signals": [s for s in signals if s["kind"] == "package"]}))
            if "icon" in strong_kinds:
                findings.append(make("IMPERSONATION_ICON", SOURCE, {
                    **evidence_base, "signals": [s for s in signals if s["kind"] == "icon"]}))

    violation = tuple(top.violation) if not is_trusted else ()
    if violation:
        cat = permission_catalogue()
        e, v = REASONS["violation"]
        en.append(e.format(name=ident.name, caps=", ".join(cat.capability_name(c) for c in violation)))
        vi.append(v.format(name=ident.name, caps=", ".join(cat.capability_name(c, "vi") for c in violation)))
        findings.append(make("IMPERSONATION_PROFILE_MISMATCH", SOURCE, {
            **evidence_base, "forbidden_capabilities": {k: v for k, v in top.violation.items()}}))

    resolved = ResolvedIdentity(
        claimed=ident.id,
        trusted=trusted_ident.id if trusted_ident else None,
        reasons=tuple(en),
        similarity=round(top.strength, 3),
        certificate_enrolled=ident.certificate_enrolled,
        claimed_name=ident.name,
        claimed_kind=ident.kind,
        package_owned=(package in ident.packages) if ident.packages else None,
        signer_status=st.status,
        profile_violation=violation,
        reasons_vi=tuple(vi),
        signals=tuple(s.to_dict() for s in top.signals),
        trust_sources=store.sources,
    )
    return resolved, findings


def _icon(ctx: ScanContext) -> IconHash | None:
    path = getattr(ctx.facts, "icon_path", None)
    if not path:
        return None
    try:
        data = ctx.archive.read(path, max_size=MAX_ICON_BYTES)
    except Exception:  # missing, oversized or corrupt entry: no icon evidence
        return None
    return hash_icon(data)


def resolve(ctx: ScanContext) -> tuple[Identity, list[Finding]]:
    """Identity of the scanned APK and the IMPERSONATION_* findings. Never raises."""
    try:
        store = load_store(getattr(ctx.config, "trust_files", ()) or ())
        icon = _icon(ctx) if store.has_icons else None
        return resolve_facts(ctx.facts, ctx.signing, store, capabilities(ctx), icon)
    except Exception as exc:  # a bug here must not cost the rest of the report
        message = f"identity could not be resolved: {type(exc).__name__}: {exc}"[:300]
        return Identity(reasons=(message,)), []


def identity_verdict_hint(identity: Identity | None, signing: SigningResult | None) -> str | None:
    """'genuine', 'fake' or None (see the module docstring). Pure: reads only its arguments."""
    if identity is None or not identity.claimed:
        return None
    owned = getattr(identity, "package_owned", None)
    kind = getattr(identity, "claimed_kind", None)
    verified = signing is not None and signing.verified is True and bool(signing.signers)
    if identity.trusted and identity.trusted == identity.claimed and verified:
        return "genuine" if owned is True else None
    if kind is None:  # a plain model.Identity (e.g. read back from JSON): the bare rule
        return "fake" if identity.certificate_enrolled and identity.trusted != identity.claimed else None
    if owned is True:
        if not verified or identity.certificate_enrolled:
            return "fake"
        # No certificate to compare with, but the genuine app never has these capabilities.
        return "fake" if getattr(identity, "profile_violation", ()) else None
    if owned is False:
        return "fake"
    # A brand with no known package: only its forbidden capabilities make the claim a fake.
    return "fake" if getattr(identity, "profile_violation", ()) else None
