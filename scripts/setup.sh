#!/usr/bin/env bash
# Set up apkscan on a fresh Debian/Ubuntu machine: a virtualenv in .venv with apkscan installed
# (not editable), plus, where we are root with apt, the Debian tools the tests use to validate the
# factory's APKs independently (apksigner, aapt, dexdump) and Chromium for the HTML report test.
# apkscan itself needs none of them. Usage: scripts/setup.sh [--test]
set -euo pipefail
cd "$(dirname "$0")/.."
want_tests=0
[ "${1:-}" = "--test" ] && want_tests=1

if [ "$want_tests" = 1 ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  missing=()
  command -v apksigner >/dev/null || missing+=(apksigner)
  command -v aapt >/dev/null || missing+=(aapt)
  command -v dexdump >/dev/null || missing+=(dexdump)
  command -v chromium >/dev/null || missing+=(chromium)
  command -v readelf >/dev/null || missing+=(binutils)
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "== apt-get install ${missing[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv"
  "$PY" -m venv .venv
fi
pip_log=.venv/pip-install.log
target="."
[ "$want_tests" = 1 ] && target=".[test,dask]"
# pip's output goes to a log (shown only if the install fails) so the tool's own output stays readable
if ! { .venv/bin/python -m pip install --upgrade pip && .venv/bin/python -m pip install "$target"; } >"$pip_log" 2>&1; then
  tail -n 60 "$pip_log"
  echo "pip install failed (full log: $pip_log)" >&2
  exit 1
fi
echo "== apkscan $(.venv/bin/apkscan --version | awk '{print $NF}') installed in .venv"
