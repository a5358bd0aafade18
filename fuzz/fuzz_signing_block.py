"""atheris: the APK Signing Block (framing, id-value pairs) and the v2/v3/v3.1 signer blocks.
Contract: locate raises SignatureNotFound/BlockTooLarge only; parse never raises. See docs/fuzzing.md."""
import harness
from fuzz_targets import check_signing_block, seeds

if __name__ == "__main__":
    harness.main("signing_block", check_signing_block, lambda: seeds("signing_block"))
