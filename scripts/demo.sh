#!/usr/bin/env bash
# The README's first command: set up, build the bundled sample set from samples_meta/ with the
# APK factory, and scan it (text table on screen, JSON and HTML reports in samples_out/).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
out=samples_out
.venv/bin/apkscan samples build "$out/apks"
# No real VNeID certificate is public: enrol the factory's TEST stand-in of the genuine app as the
# trusted VNeID signer (in a user trust file, exactly as an officer enrols a Play-installed copy).
.venv/bin/apkscan trust enroll "$out/apks/vneid-reference.apk" --id vneid --trust-file "$out/trust.json"
set +e
.venv/bin/apkscan scan "$out/apks" --trust "$out/trust.json" --format json -o "$out/report.json"
.venv/bin/apkscan scan "$out/apks" --trust "$out/trust.json" --format html --lang vi -o "$out/report.html"
.venv/bin/apkscan scan "$out/apks" --trust "$out/trust.json" --format text
rc=$?
set -e
echo
echo "JSON report: $out/report.json   HTML report: $out/report.html"
echo "apkscan exit code $rc (1 = at least one app at or above --fail-on high, as expected for the fake samples)"
