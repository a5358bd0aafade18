#!/usr/bin/env bash
# The README's second command (and what .ci/run calls): set up with test extras, prove the
# installed package works outside the source tree, then run the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
root=$(pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
(
  # The installed apkscan (not the source tree) finds its data and runs end to end.
  cd "$scratch"
  "$root/.venv/bin/apkscan" --version
  "$root/.venv/bin/python" -m apkscan --version
  "$root/.venv/bin/apkscan" samples build apks >/dev/null
  set +e
  "$root/.venv/bin/apkscan" scan apks --format json -o report.json
  rc=$?
  set -e
  [ "$rc" = 1 ] || { echo "installed apkscan: expected exit 1 on the sample set, got $rc"; exit 1; }
  "$root/.venv/bin/python" -c "import json,sys; d=json.load(open('report.json')); assert d['results'] and all(r['status']=='ok' for r in d['results']), 'sample scan failed'; print('installed package scanned', len(d['results']), 'samples')"
)
# The test suite (it imports the source tree, which the installed package was built from).
cd "$root"
.venv/bin/python -m pytest -p no:cacheprovider -q "$@"
