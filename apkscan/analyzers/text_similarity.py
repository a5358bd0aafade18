"""Compare app labels and package names the way a person reads them.

A label is reduced to keys before comparison:

* ``fold_key``: Unicode NFKC (full-width and mathematical letters become ASCII), invisible
  format characters removed, Vietnamese diacritics folded (NFD, combining marks dropped,
  ``đ``/``Đ`` -> ``d``/``D``: ``đ`` has no decomposition, so NFD alone leaves it), case folded,
  punctuation collapsed to single spaces.
* ``skeleton_key``: the same after the Unicode TR39 skeleton (section 4: NFD, each character
  replaced by its prototype from confusables.txt, NFD again) plus the project's extra look-alikes
  (``signatures/confusables_extra.json``). Case is folded *after* the prototypes, because the
  prototypes are case-sensitive (``I`` -> ``l``).

Similarity is 1 - (Damerau) edit distance / longer length.
"""
from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from apkscan.datafiles import signatures_dir

MAX_TEXT = 512  # labels longer than this are cut: comparison cost stays bounded on hostile input


@lru_cache(maxsize=1)
def _prototypes() -> dict[str, str]:
    data = json.loads((signatures_dir() / "confusables.json").read_text(encoding="utf-8"))
    table = {}
    for src, dst in data["map"].items():
        key = "".join(chr(int(cp, 16)) for cp in src.split())
        table[key] = "".join(chr(int(cp, 16)) for cp in dst.split())
    return table


@lru_cache(maxsize=1)
def _extras() -> dict[str, str]:
    data = json.loads((signatures_dir() / "confusables_extra.json").read_text(encoding="utf-8"))
    return dict(data["map"])


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text[:MAX_TEXT])


def strip_invisible(text: str) -> str:
    """Drop format characters (Cf: zero-width space/joiners, bidi controls, soft hyphen), which
    render as nothing and are used to split a brand name without changing how it looks."""
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def fold_vietnamese(text: str) -> str:
    """Remove Vietnamese (and any other) diacritics: 'Định danh điện tử' -> 'Dinh danh dien tu'."""
    decomposed = unicodedata.normalize("NFD", text)
    kept = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", kept.replace("đ", "d").replace("Đ", "D"))


_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def _collapse(text: str) -> str:
    return _NON_WORD.sub(" ", text).strip()


@lru_cache(maxsize=8192)
def fold_key(text: str) -> str:
    """Case-, diacritic- and width-insensitive form: 'VNeID – Định danh' -> 'vneid dinh danh'."""
    return _collapse(fold_vietnamese(strip_invisible(nfkc(text))).casefold())


def skeleton(text: str) -> str:
    """Unicode TR39 skeleton(X): NFD, map every character to its confusable prototype, NFD."""
    table = _prototypes()
    decomposed = unicodedata.normalize("NFD", text[:MAX_TEXT])
    mapped = "".join(table.get(ch, ch) for ch in decomposed)
    return unicodedata.normalize("NFD", mapped)


@lru_cache(maxsize=8192)
def skeleton_key(text: str) -> str:
    """Fold key of the skeleton, with the project's extra look-alikes: 'VNelD', 'VNe1D', 'VNеID'
    (Cyrillic е) and 'VNeID' share one key."""
    base = fold_vietnamese(strip_invisible(nfkc(text)))
    skel = fold_vietnamese(skeleton(base)).casefold()
    extras = _extras()
    skel = "".join(extras.get(ch, ch) for ch in skel)
    return _collapse(skel)


def edit_distance(a: str, b: str, limit: int | None = None) -> int:
    """Optimal-string-alignment distance (Levenshtein plus adjacent transposition).

    ``limit``: stop early and return ``limit + 1`` once the distance must exceed it.
    """
    if a == b:
        return 0
    if limit is not None and abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] | None = None
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if prev2 is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if limit is not None and min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def ratio(a: str, b: str) -> float:
    """1.0 for equal strings, 0.0 for nothing in common."""
    if not a and not b:
        return 1.0
    longest = max(len(a), len(b))
    return 1.0 - edit_distance(a, b) / longest


@dataclass(frozen=True)
class TextMatch:
    """How a candidate text relates to a reference text."""

    kind: str  # exact | folded | confusable | edit | none
    similarity: float
    distance: int = 0

    @property
    def matched(self) -> bool:
        return self.kind != "none"


# Below this length an edit is not evidence: 'EVN' vs 'VNA' says nothing.
MIN_EDIT_LENGTH = 5


def max_edits(length: int) -> int:
    """Edits tolerated for a look-alike of a reference of this length (1 up to 9 characters, 2 above)."""
    if length < MIN_EDIT_LENGTH:
        return 0
    return 1 if length < 10 else 2


def compare(candidate: str, reference: str) -> TextMatch:
    """Classify ``candidate`` against ``reference`` (a protected label or name).

    exact: equal after NFKC; folded: equal ignoring case, width and diacritics; confusable: equal
    skeletons (look-alike characters); edit: skeletons within ``max_edits`` edits.
    """
    if not candidate or not reference:
        return TextMatch("none", 0.0)
    if nfkc(candidate).strip() == nfkc(reference).strip():
        return TextMatch("exact", 1.0)
    cf, rf = fold_key(candidate), fold_key(reference)
    hidden = strip_invisible(candidate) != candidate  # invisible characters are a deception, not a spelling
    if cf and cf == rf:
        return TextMatch("confusable", 0.95) if hidden else TextMatch("folded", 0.98)
    cs, rs = skeleton_key(candidate), skeleton_key(reference)
    if cs and cs == rs:
        return TextMatch("confusable", 0.95)
    limit = max_edits(len(rs.replace(" ", "")))
    if limit:
        a, b = cs.replace(" ", ""), rs.replace(" ", "")
        d = edit_distance(a, b, limit)
        if d <= limit:
            return TextMatch("edit", round(1.0 - d / max(len(a), len(b)), 3), d)
    return TextMatch("none", 0.0)


@lru_cache(maxsize=8192)
def tokens(text: str) -> tuple[str, ...]:
    return tuple(skeleton_key(text).split())


def find_phrase(haystack: tuple[str, ...], phrase: tuple[str, ...]) -> int:
    """Index of ``phrase`` as a contiguous token run in ``haystack`` (skeleton tokens), or -1.

    Runs of tokens are also compared glued together, so 'Dich vu cong' matches 'DichVuCong' and
    'dịch vụ công'."""
    if not phrase or not haystack:
        return -1
    n = len(phrase)
    for i in range(len(haystack) - n + 1):
        if haystack[i:i + n] == phrase:
            return i
    glued = "".join(phrase)
    for i in range(len(haystack)):
        acc = ""
        for j in range(i, len(haystack)):
            acc += haystack[j]
            if acc == glued:
                return i
            if len(acc) >= len(glued):
                break
    return -1
