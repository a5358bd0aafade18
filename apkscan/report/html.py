"""``--format html``: one self-contained page (no external assets, no script) for one APK or a batch.

A batch starts with a summary table linking to each app. Each app gets a verdict banner, the top
reasons in plain words, identity and certificate evidence, permissions and components by
severity, YARA matches, indicators, every finding, the score's factors and the hashes; the page
ends with the chain-of-custody block. ``meta.lang`` picks English or Vietnamese; Vietnamese
reports carry the Ministry of Public Security's advice. A print stylesheet makes it a clean PDF.

The template (``templates/report.html.j2``) only lays out plain values built here; Jinja's
autoescaping and a Content-Security-Policy keep hostile labels and evidence inert.
"""
from __future__ import annotations

import base64
import json
import os
from functools import lru_cache
from pathlib import Path, PurePath
from typing import Any, Callable, Iterable, Mapping

from markupsafe import Markup, escape

from apkscan.findings_catalog import Catalog, default_catalog, error_finding_id
from apkscan.i18n import invisible, level_name, severity_name, t, verdict_name
from apkscan.model import SEVERITY_RANK, AppFacts, Finding, ScanResult, SigningResult
from apkscan.report.base import ReportFormat
from apkscan.scoring import Assessment, Factor, default_model, explain

TEMPLATES = Path(__file__).resolve().parent / "templates"
MAX_ICON_BYTES = 512 * 1024
MAX_EVIDENCE_CHARS = 600  # per evidence value
TOP_REASONS = 5

# Image formats a browser shows from a data: URI, by their magic bytes. Anything else (an XML
# vector drawable, a hostile blob) is not embedded.
_IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def image_mime(data: bytes) -> str | None:
    for magic, mime in _IMAGE_MAGIC:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def icon_data_uri(data: bytes | None) -> str | None:
    if not data or len(data) > MAX_ICON_BYTES:
        return None
    mime = image_mime(data)
    if mime is None:
        return None
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def read_icon(result: ScanResult) -> bytes | None:
    """The launcher icon's bytes, read again from the APK (only that entry); None when unavailable.

    Only when the file at ``input.path`` still has the analysed size: a report regenerated after
    the evidence moved or changed shows no icon rather than another file's. (Callers that keep
    the icon from the scan pass it in ``ReportMeta.icons`` instead.)
    """
    app = result.app
    if result.status != "ok" or app is None or not app.icon_path or "!" in result.input.path:
        return None
    try:
        if os.path.getsize(result.input.path) != result.input.size:
            return None
        from apkscan.archive import open_archive

        with open_archive(result.input.path) as arc:
            return arc.read(app.icon_path, max_size=MAX_ICON_BYTES)
    except Exception:  # an icon is decoration: a missing file or a hostile entry must not fail the report
        return None


_BREAK_AFTER = frozenset("./_!$:,")  # identifiers (com.example.Foo, PERM_READ_SMS) may wrap there
_WBR = Markup("<wbr>")


def reveal(value: Any) -> Markup:
    """Escape ``value``, show invisible characters (bidi overrides, zero-width) as marked code
    points, and let long identifiers wrap after dots and underscores (``<wbr>`` adds no text)."""
    text = "" if value is None else str(value)
    parts = []
    for ch in text:
        if invisible(ch):
            parts.append(Markup(f'<span class="cp" title="invisible character">U+{ord(ch):04X}</span>'))
        else:
            parts.append(escape(ch))
            if ch in _BREAK_AFTER:
                parts.append(_WBR)
    return Markup("").join(parts)


def _leaf_strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _leaf_strings(item)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            yield from _leaf_strings(item)


def _mentions(finding: Finding, name: str) -> bool:
    """Does the finding's evidence name ``name`` exactly (full name, or the part after the last dot)?"""
    short = name.rsplit(".", 1)[-1]
    for leaf in _leaf_strings(finding.evidence):
        if leaf == name or (leaf == short and len(short) > 3):
            return True
    return False


class _View:
    """Turns one ScanResult into the plain values the template lays out."""

    def __init__(self, lang: str, catalog: Catalog, icon: Callable[[ScanResult], bytes | None]) -> None:
        self.lang = lang
        self.catalog = catalog
        self.icon = icon

    def tr(self, key: str, **params: Any) -> str:
        return t(key, self.lang, **params)

    def finding(self, f: Finding) -> dict[str, Any]:
        entry = self.catalog.describe(f)
        evidence = []  # (key, value) lines: strings as they are, other values as compact JSON
        for key in sorted(f.evidence, key=str):
            value = f.evidence[key]
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True, default=repr)
            if len(text) > MAX_EVIDENCE_CHARS:
                text = text[:MAX_EVIDENCE_CHARS] + " …"
            evidence.append((str(key), text))
        return {
            "id": f.id,
            "severity": f.severity,
            "severity_name": severity_name(f.severity, self.lang),
            "title": entry.text("title", self.lang),
            "description": entry.text("description", self.lang),
            "advice": entry.text("advice", self.lang),
            "path": f.path,
            "evidence": evidence,
            "source": f.source,
        }

    def reasons(self, assessment: Assessment, by_id: Mapping[str, Finding]) -> list[dict[str, Any]]:
        model = default_model()
        out = []
        for factor in assessment.top_reasons(TOP_REASONS):
            item = {"title": factor.title_in(self.lang), "severity": None, "severity_name": "", "description": "", "advice": ""}
            if factor.kind == "finding" and factor.id in by_id:
                view = self.finding(by_id[factor.id])
                item.update(title=view["title"], severity=view["severity"], severity_name=view["severity_name"],
                            description=view["description"], advice=view["advice"])
            elif factor.kind == "combination":
                combo = model.combination(factor.id)
                if combo is not None:
                    item["description"] = combo.description_vi if self.lang == "vi" and combo.description_vi else combo.description
            out.append(item)
        return out

    def basis(self, factor: Factor) -> str:
        """Why a factor weighs what it does, in the report's language (Factor.basis is English)."""
        if factor.kind == "floor":
            return self.tr("basis.floor", level=level_name(factor.level or "none", self.lang))
        if factor.kind == "combination":
            names = [self.tr(f"fact.{e.lstrip('@')}") if e.startswith("@") else e for e in factor.evidence]
            return self.tr("basis.combination", evidence=" + ".join(names))
        override = next((o for o in default_model().weight_overrides if o.match == factor.override), None)
        if override is not None:
            text = (override.why_vi if self.lang == "vi" and override.why_vi else override.why) or override.match
        else:
            text = self.tr("basis.severity", severity=severity_name(factor.severity or "info", self.lang))
        if factor.cap is not None:
            text += "; " + self.tr("basis.capped", family=factor.cap_scope or factor.family, cap=factor.cap)
        return text

    def headline(self, result: ScanResult) -> str:
        if result.status != "ok":
            code = result.error.code if result.error else "INTERNAL"
            entry = self.catalog.get(error_finding_id(code))
            return entry.text("title", self.lang) if entry else self.tr("headline.error", message=code)
        identity = identity_name(result.identity.claimed or result.identity.trusted)
        if result.verdict in ("genuine", "fake") and identity:
            return self.tr(f"headline.{result.verdict}", identity=identity)
        if result.verdict == "fake":
            return self.tr("headline.fake_unnamed")
        if result.verdict == "clean" and result.risk.level not in ("none", "low"):
            return self.tr("headline.clean_capabilities")
        return self.tr(f"headline.{result.verdict}")

    def identity(self, result: ScanResult) -> dict[str, Any]:
        ident = result.identity
        notes = []
        if ident.claimed and ident.certificate_enrolled is False:
            notes.append(self.tr("identity.no_cert_enrolled", identity=identity_name(ident.claimed)))
        if not ident.claimed:
            notes.append(self.tr("identity.none_claimed"))
        enrolled = {True: "value.yes", False: "value.no", None: "value.unknown"}[ident.certificate_enrolled]
        return {
            "claimed": _with_id(ident.claimed),
            "trusted": _with_id(ident.trusted),
            "similarity": round(ident.similarity * 100),
            "enrolled": self.tr(enrolled),
            # the identity analyzer words its reasons in both languages (reasons_vi, same order)
            "reasons": list(getattr(ident, "reasons_vi", ()) or ident.reasons) if self.lang == "vi"
            else list(ident.reasons),
            "notes": notes,
        }

    def signing(self, signing: SigningResult | None) -> dict[str, Any]:
        signing = signing or SigningResult(verified=None)
        verified = {True: "verified.true", False: "verified.false", None: "verified.null"}[signing.verified]
        signer_certs = {s.cert_sha256 for s in signing.signers}
        return {
            "verified": self.tr(verified),
            "schemes": ", ".join(signing.schemes),
            "blocks": ", ".join(signing.blocks_present),
            "signers": [s.to_dict() for s in signing.signers],
            "issues": [i.to_dict() for i in signing.issues],
            "warnings": [w.to_dict() for w in signing.warnings],
            "lineage": [dict(x) for x in signing.lineage],
            "extracted": [s.to_dict() for s in signing.extracted_certificates if s.cert_sha256 not in signer_certs],
        }

    def _severity_of(self, name: str, findings: Iterable[Finding]) -> tuple[str, list[str]]:
        related = [f for f in findings if _mentions(f, name)]
        severity = max((f.severity for f in related), key=SEVERITY_RANK.__getitem__, default="info")
        titles = sorted({self.catalog.describe(f).text("title", self.lang) for f in related})
        return severity, titles

    def permissions(self, app: AppFacts, findings: tuple[Finding, ...]) -> list[dict[str, Any]]:
        rows = []
        for name in sorted(set(app.permissions)):
            severity, titles = self._severity_of(name, findings)
            rows.append({"name": name, "severity": severity, "severity_name": severity_name(severity, self.lang), "titles": titles})
        rows.sort(key=lambda r: (-SEVERITY_RANK[r["severity"]], r["name"]))
        return rows

    def components(self, app: AppFacts, findings: tuple[Finding, ...]) -> list[dict[str, Any]]:
        rows = []
        exported = {True: "value.yes", False: "value.no", None: "value.unknown"}
        for c in app.components:
            severity, titles = self._severity_of(c.name, findings)
            rows.append({
                "kind": self.tr(f"kind.{c.kind}") if f"kind.{c.kind}" in _kinds() else c.kind,
                "name": c.name,
                "exported": self.tr(exported[c.exported]),
                "permission": c.permission,
                "actions": sorted({a for f in c.intent_filters for a in f.actions}),
                "severity": severity,
                "severity_name": severity_name(severity, self.lang),
                "titles": titles,
            })
        rows.sort(key=lambda r: (-SEVERITY_RANK[r["severity"]], r["kind"], r["name"]))
        return rows

    def app(self, result: ScanResult, index: int) -> dict[str, Any]:
        app = result.app or AppFacts()
        findings = tuple(sorted(result.findings, key=lambda f: (-f.rank, f.id, f.path)))
        by_id: dict[str, Finding] = {}
        for f in findings:
            by_id.setdefault(f.id, f)
        ok = result.status == "ok"
        view: dict[str, Any] = {
            "index": index,
            "anchor": f"app-{index}",
            "ok": ok,
            "verdict": result.verdict,
            "verdict_name": verdict_name(result.verdict, self.lang),
            "headline": self.headline(result),
            "score": result.risk.score,
            "level_name": level_name(result.risk.level, self.lang),
            "path": result.input.path,
            "file_name": PurePath(result.input.path).name or result.input.path,
            "size": result.input.size,
            "md5": result.input.md5,
            "sha1": result.input.sha1,
            "sha256": result.input.sha256,
            "splits": [s.to_dict() for s in result.splits],
            "package": app.package,
            "label": app.label,
            "label_text": app.label or app.package or PurePath(result.input.path).name,
            "labels": sorted(app.labels.items()),
            "version": f"{app.version_name or '—'} ({app.version_code if app.version_code is not None else '—'})",
            "sdk": self.tr("html.sdk", min=_dash(app.min_sdk), target=_dash(app.target_sdk)),
            "launcher": app.launcher_activity,
            "icon_uri": icon_data_uri(self.icon(result)),
            "findings": [self.finding(f) for f in findings],
        }
        if not ok:
            code = result.error.code if result.error else "INTERNAL"
            entry = self.catalog.get(error_finding_id(code))
            view["error"] = {
                "code": code,
                "message": result.error.message if result.error else "",
                "title": entry.text("title", self.lang) if entry else code,
                "description": entry.text("description", self.lang) if entry else "",
                "advice": entry.text("advice", self.lang) if entry else "",
            }
            view["reasons"] = []
            return view
        assessment = explain(result)
        view.update(
            reasons=self.reasons(assessment, by_id),
            identity=self.identity(result),
            signing=self.signing(result.signing),
            permissions=self.permissions(app, findings),
            components=self.components(app, findings),
            yara=[self.finding(f) for f in findings if f.source == "yara" or f.id.startswith("YARA_")],
            indicators=[self.finding(f) for f in findings if f.source in ("ioc", "indicators", "strings") or f.id.startswith(("IOC_", "STR_"))],
            factors=[
                {"id": f.id, "title": f.title_in(self.lang), "points": f.points, "basis": self.basis(f)}
                for f in assessment.factors if f.points > 0
            ],
        )
        return view


@lru_cache(maxsize=1)
def _identity_names() -> Mapping[str, str]:
    """Protected identities' display names (signatures/identities.json), e.g. vneid -> VNeID."""
    try:
        from apkscan.datafiles import signatures_dir

        data = json.loads((signatures_dir() / "identities.json").read_text(encoding="utf-8"))
        return {i["id"]: i.get("name") or i["id"] for i in data.get("identities", ()) if "id" in i}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def identity_name(identity_id: str | None) -> str | None:
    if identity_id is None:
        return None
    return _identity_names().get(identity_id, identity_id)


def _with_id(identity_id: str | None) -> str | None:
    name = identity_name(identity_id)
    return name if name in (None, identity_id) else f"{name} ({identity_id})"


def _dash(value: Any) -> str:
    return "—" if value is None else str(value)


@lru_cache(maxsize=None)
def _kinds() -> frozenset[str]:
    from apkscan.i18n import strings

    return frozenset(k for k in strings("en") if k.startswith("kind."))


@lru_cache(maxsize=1)
def _environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=StrictUndefined,  # a typo in the template fails the tests instead of printing nothing
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["reveal"] = reveal
    return env


def render_html(results: list[ScanResult], meta, summary: Mapping[str, Any], *,
                icon: Callable[[ScanResult], bytes | None] | None = None, catalog: Catalog | None = None) -> str:
    """The whole page. ``icon(result)`` gives icon bytes (default: ``meta.icons`` by SHA-256, else
    read from the APK)."""
    lang = meta.lang

    def default_icon(result: ScanResult) -> bytes | None:
        if result.input.sha256 and result.input.sha256 in meta.icons:
            return meta.icons[result.input.sha256]
        return read_icon(result)

    view = _View(lang, catalog or default_catalog(), icon or default_icon)
    apps = [view.app(r, i) for i, r in enumerate(results, start=1)]
    summary_verdicts = [
        {"verdict": v, "name": verdict_name(v, lang), "count": n} for v, n in summary["verdicts"].items() if n
    ]
    template = _environment().get_template("report.html.j2")
    return template.render(
        lang=lang,
        t=lambda key, **params: t(key, lang, **params),
        meta=meta,
        apps=apps,
        batch=len(apps) > 1,
        summary=summary,
        summary_verdicts=summary_verdicts,
        show_advice=True,
        css=Markup((TEMPLATES / "report.css").read_text(encoding="utf-8")),
    )


class HtmlFormat(ReportFormat):
    name = "html"

    def write(self, results: list[ScanResult], summary: dict[str, Any]) -> None:
        self.out.write(render_html(results, self.meta, summary))
