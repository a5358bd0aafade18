"""atheris: the DEX string-table reader. Contract: never raises, bounded output. See docs/fuzzing.md."""
import harness
from fuzz_targets import check_dex_strings, seeds

if __name__ == "__main__":
    harness.main("dex_strings", check_dex_strings, lambda: seeds("dex_strings"))
