"""atheris: the ZIP layer (open_archive, read, stream, for_each_entry) on any bytes.
Contract: only ArchiveError escapes, never with code INTERNAL. See docs/fuzzing.md."""
import harness
from fuzz_targets import check_archive, seeds

if __name__ == "__main__":
    harness.main("archive", check_archive, lambda: seeds("archive"))
