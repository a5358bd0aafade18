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
  "$root/.venv/bin/apkscan" trust enroll apks/vneid-reference.apk --id vneid --trust-file trust.json >/dev/null
  set +e
  "$root/.venv/bin/apkscan" scan apks --trust trust.json --format json -o report.json
  rc=$?
  set -e
  [ "$rc" = 1 ] || { echo "installed apkscan: expected exit 1 on the sample set, got $rc"; exit 1; }
  "$root/.venv/bin/python" -c "import json,sys; d=json.load(open('report.json')); idx={s['file']: s['expected'].get('verdict') for s in json.load(open('apks/index.json'))['samples']}; got={r['input']['path'].split('/')[-1]: r['verdict'] for r in d['results']}; bad={f: (idx[f], got.get(f)) for f in idx if got.get(f) != idx[f]}; assert not bad, bad; print('installed apkscan: all', len(idx), 'samples got their expected verdict')"
)
# The test suite (it imports the source tree, which the installed package was built from).
cd "$root"
.venv/bin/python -m pytest -p no:cacheprovider -q "$@"
