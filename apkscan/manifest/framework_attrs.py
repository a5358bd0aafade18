"""Names of the framework's public attributes (``android.R.attr``), by resource id, and back.

The table is generated data in ``framework_attrs.json`` (its ``source`` field says where from:
AOSP framework-res.apk of API 29); it is read once, when this module is first imported. The
manifest decoder, the APK factory (apkscan.samples) and the signing verifier's SDK-level reader
all take their ids from it, so no module carries its own copy.
"""
from __future__ import annotations

import json
from importlib.resources import files


def _load() -> dict[int, str]:
    doc = json.loads(files(__package__).joinpath("framework_attrs.json").read_text(encoding="utf-8"))
    return {int(rid, 16): name for rid, name in doc["attrs"].items()}


ATTR_NAMES: dict[int, str] = _load()
ATTR_IDS: dict[str, int] = {name: rid for rid, name in ATTR_NAMES.items()}
