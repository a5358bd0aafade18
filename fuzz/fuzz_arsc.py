"""atheris: resources.arsc indexing and lookups, next to a sound manifest.
Contract: ArscError at construction only; the app's facts survive a damaged table. See docs/fuzzing.md."""
import zipfile
from io import BytesIO

import harness
from fuzz_targets import check_arsc, factory_apk, seeds

MANIFEST = zipfile.ZipFile(BytesIO(factory_apk("benign-notes"))).read("AndroidManifest.xml")


def one_input(data: bytes) -> None:
    check_arsc(data, MANIFEST)


if __name__ == "__main__":
    harness.main("arsc", one_input, lambda: seeds("arsc"))
