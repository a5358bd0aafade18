"""Common main() of the atheris harnesses: instrument apkscan, seed a corpus folder, run libFuzzer.

    python fuzz/fuzz_<target>.py [libFuzzer options] [CORPUS_DIR ...]

Without a corpus folder, one is created under $APKSCAN_FUZZ_CORPUS (default:
<tempdir>/apkscan-fuzz-corpus/<target>) and filled with the target's seeds (fuzz_targets.seeds).
libFuzzer adds the inputs that reach new code to the first folder, and writes a failing input to
./crash-<sha1> (change with -artifact_prefix=DIR/). Replay one: python fuzz/fuzz_<target>.py FILE
"""
from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from pathlib import Path
from typing import Callable, Iterable

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent))
with atheris.instrument_imports(include=["apkscan"]):
    import fuzz_targets  # noqa: E402

    fuzz_targets._imports()  # imports (and so instruments) every module the targets reach


def _corpus_dir(target: str) -> Path:
    base = Path(os.environ.get("APKSCAN_FUZZ_CORPUS") or Path(tempfile.gettempdir()) / "apkscan-fuzz-corpus")
    return base / target


def _seed(folder: Path, seeds: Iterable[bytes]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    if any(folder.iterdir()):
        return
    for data in seeds:
        (folder / f"seed-{hashlib.sha1(data).hexdigest()}").write_bytes(data)


def main(target: str, test_one_input: Callable[[bytes], None], seeds: Callable[[], Iterable[bytes]]) -> None:
    argv = list(sys.argv)
    positional = [a for a in argv[1:] if not a.startswith("-")]
    if not positional:  # no corpus given: use (and seed) the default one
        folder = _corpus_dir(target)
        _seed(folder, seeds())
        argv.append(str(folder))
    else:  # a missing path is a corpus folder to create; an existing file is an input to replay
        for p in positional:
            if Path(p).is_dir() or not Path(p).exists():
                _seed(Path(p), seeds())
    # Each input is tiny; a hostile one may legitimately take a second (YARA, RSA).
    if not any(a.startswith("-timeout=") for a in argv):
        argv.insert(1, f"-timeout={int(fuzz_targets.MAX_SECONDS) + 5}")
    if not any(a.startswith("-rss_limit_mb=") for a in argv):
        argv.insert(1, "-rss_limit_mb=2048")
    atheris.Setup(argv, test_one_input)
    atheris.Fuzz()
