"""Pick the launcher icon bitmap: the sharpest PNG/WebP of the icon resource, through adaptive icons.

An icon resource usually has one file per density (mipmap-hdpi/ic_launcher.png ...) and, since
API 26, an ``anydpi`` binary XML (``<adaptive-icon>`` with foreground/background drawables).
We take the highest-density bitmap present in the archive; when there is none, we read the XML
and follow the drawables a launcher would draw (adaptive foreground first, then background;
``<bitmap android:src>``; layer-list items from the top; inset/scale/clip/rotate children),
a few levels deep at most.
"""
from __future__ import annotations

from apkscan.manifest.arsc import density_rank
from apkscan.manifest.binxml import XmlElement, decode
from apkscan.manifest.problems import BinaryXmlRejected, ProblemLog
from apkscan.manifest.framework_attrs import ATTR_IDS
from apkscan.manifest.resources import Resolver
from apkscan.manifest.restypes import TYPE_REFERENCE

BITMAP_SUFFIXES = (".png", ".webp", ".jpg", ".jpeg")
MAX_ICON_DEPTH = 4
MAX_ICON_XML = 1 << 20
MAX_ICON_XML_FILES = 24  # drawable XML files read while looking for the bitmap
_DRAWABLE_ATTRS = (ATTR_IDS["drawable"], ATTR_IDS["src"])  # 0x01010199, 0x01010119


def _entry_exists(archive, name: str) -> bool:
    try:
        return archive.entry(name) is not None
    except Exception:  # noqa: BLE001
        return False


def pick_icon(archive, resolver: Resolver, res_id: int) -> tuple[str | None, str | None]:
    """(best bitmap entry or None, the XML entry it came through or None)."""
    seen: set[int] = set()
    budget = [MAX_ICON_XML_FILES]
    return _pick(archive, resolver, res_id, 0, seen, budget)


def _pick(archive, resolver: Resolver, res_id: int, depth: int, seen: set[int],
          budget: list[int]) -> tuple[str | None, str | None]:
    if depth > MAX_ICON_DEPTH or res_id in seen or not res_id:
        return None, None
    seen.add(res_id)
    files = [(cfg, path) for cfg, path in resolver.files(res_id) if _entry_exists(archive, path)]
    bitmaps = [(density_rank(cfg.density), -cfg.specificity, path) for cfg, path in files
               if path.lower().endswith(BITMAP_SUFFIXES)]
    if bitmaps:
        return max(bitmaps)[2], None
    xmls = sorted(((cfg.sdk, -cfg.specificity, path) for cfg, path in files if path.lower().endswith(".xml")),
                  reverse=True)
    for _sdk, _spec, path in xmls:
        if budget[0] <= 0:
            break
        budget[0] -= 1
        for ref in _drawable_refs(archive, path):
            found, _via = _pick(archive, resolver, ref, depth + 1, seen, budget)
            if found:
                return found, path
    return None, (xmls[0][2] if xmls else None)


def _drawable_refs(archive, entry: str) -> list[int]:
    """Resource ids of the drawables a drawable XML draws, most visible first."""
    try:
        data = archive.read(entry, max_size=MAX_ICON_XML)
        doc = decode(bytes(data), ProblemLog())
    except BinaryXmlRejected:
        return []
    except Exception:  # noqa: BLE001 - ArchiveError and friends: no icon, not a crash
        return []
    root = doc.root
    refs: list[int] = []

    def own(el: XmlElement) -> None:
        for attr in el.attributes:
            if attr.res_id in _DRAWABLE_ATTRS and attr.vtype == TYPE_REFERENCE:
                refs.append(attr.vdata)

    kind = root.name or ""
    if kind == "adaptive-icon":
        for part in ("foreground", "background"):
            for child in root.children:
                if child.name == part:
                    own(child)
                    for inner in child.children:  # <foreground><inset android:drawable=.../></foreground>
                        own(inner)
    elif kind == "layer-list":
        for item in reversed(root.children):
            own(item)
    else:  # bitmap, nine-patch, inset, scale, clip, rotate, selector, level-list...
        own(root)
        for child in root.children:
            own(child)
    return refs[:16]
