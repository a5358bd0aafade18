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
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
if [ "$want_tests" = 1 ]; then
  .venv/bin/python -m pip install -q ".[test,dask]"
else
  .venv/bin/python -m pip install -q .
fi
echo "== apkscan $(.venv/bin/apkscan --version | awk '{print $NF}') installed in .venv"
