"""UI strings of the human-readable reports in English and Vietnamese.

The strings are data (``apkscan/report/locales/<lang>.json``, flat ``key -> text`` maps with
``{name}`` placeholders); finding texts come from the finding catalogue instead. English is the
fallback for a key a translation lacks, and a test keeps both files complete.
"""
from __future__ import annotations

import json
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

LANGS = ("en", "vi")
_LOCALES = Path(__file__).resolve().parent / "report" / "locales"


@lru_cache(maxsize=None)
def strings(lang: str) -> Mapping[str, str]:
    if lang not in LANGS:
        raise ValueError(f"unsupported language {lang!r}")
    data = json.loads((_LOCALES / f"{lang}.json").read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if not k.startswith("_")}


def t(key: str, lang: str = "en", **params: Any) -> str:
    """The text for ``key`` in ``lang`` with ``{placeholders}`` filled; English when untranslated."""
    text = strings(lang).get(key)
    if text is None:
        text = strings("en")[key]  # a missing English key is a bug: KeyError
    return text.format(**params) if params else text


def verdict_name(verdict: str, lang: str = "en") -> str:
    return t(f"verdict.{verdict}", lang)


def level_name(level: str, lang: str = "en") -> str:
    return t(f"level.{level}", lang)


def severity_name(severity: str, lang: str = "en") -> str:
    return t(f"severity.{severity}", lang)


# Characters that change how text is displayed without being visible: bidi overrides, zero-width
# joiners, controls. Fake apps use them in labels ("VNe\u200bID"), so reports show them instead.
def invisible(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp") or (ch.isspace() and ch != " ")


def reveal_text(value: str) -> str:
    """``value`` with every invisible or control character written as ``<U+XXXX>``."""
    return "".join(f"<U+{ord(ch):04X}>" if invisible(ch) else ch for ch in value)
