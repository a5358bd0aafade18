"""atheris: the whole pipeline (scan_file). The first input byte picks what the rest is:
0 = a whole APK; 1.. = one member of a factory APK (fuzz_targets.MEMBERS), re-zipped stored.
Contract: a ScanResult, never an INTERNAL error. See docs/fuzzing.md."""
import harness
from fuzz_targets import MEMBERS, check_scan, check_scan_member, seeds


def one_input(data: bytes) -> None:
    if not data:
        return
    mode, rest = data[0] % (len(MEMBERS) + 1), data[1:]
    if mode == 0:
        check_scan(rest)
    else:
        check_scan_member(MEMBERS[mode - 1], rest)


def all_seeds():
    out = [b"\x00" + apk for apk in seeds("scan")]
    for i, name in enumerate(MEMBERS, start=1):
        out += [bytes([i]) + member for member in seeds(name)]
    return out


if __name__ == "__main__":
    harness.main("scan", one_input, all_seeds)
