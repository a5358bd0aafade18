"""atheris: binary XML (AndroidManifest.xml and res/xml) -> AppFacts, with a real resources.arsc.
Contract: AppFacts or ManifestError; parse_xml_resource returns an element or None. See docs/fuzzing.md."""
import harness
from fuzz_targets import check_manifest, manifest_resources, seeds

RESOURCES = manifest_resources()


def one_input(data: bytes) -> None:
    check_manifest(data, RESOURCES)


if __name__ == "__main__":
    harness.main("manifest", one_input, lambda: seeds("manifest"))
