#!/bin/sh
# SPDX-License-Identifier: MIT
# The README's device study (docs/examples/device_study.yaml) end to end: the sweep, its HTML
# report, and a check of the page in headless Chromium (Debian `chromium`): the page's own
# check (tables, figures, figures the browser decoded) read back from the rendered DOM, and a
# screenshot in which the table (dark text on white) and the heatmaps (saturated colour) must
# both show. Prints the sweep's wall time and the checks; exits non-zero when one fails.
# Usage: studies/run_report.sh [BUILD_DIR]       (apt-get install chromium python3-matplotlib)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
out=$here/../runs/device_study
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "run_report.sh: needs chromium (apt-get install chromium)" >&2; exit 2; }
start=$(date +%s.%N)
"$build/sim/xbarsim" sweep "$here/../docs/examples/device_study.yaml" --out "$out" --jobs 2 \
  --force --quiet
end=$(date +%s.%N)
echo "sweep: $(awk "BEGIN { printf \"%.1f\", $end - $start }") s wall on $(nproc) cores"
"$build/sim/xbarsim" report "$out"
page="file://$(cd "$out" && pwd)/report.html"
flags="--headless --no-sandbox --disable-gpu --hide-scrollbars --virtual-time-budget=5000"
# shellcheck disable=SC2086
"$browser" $flags --dump-dom "$page" 2>/dev/null > "$out/report_dom.html"
# shellcheck disable=SC2086
"$browser" $flags --window-size=1400,2000 --screenshot="$out/report.png" "$page" 2>/dev/null
/usr/bin/python3 - "$out/report_dom.html" "$out/report.png" <<'PY'
import re, sys
import matplotlib.image as mpimg
dom, shot = sys.argv[1], sys.argv[2]
m = re.search(r'data-check="tables=(\d+) figures=(\d+) loaded=(\d+)"', open(dom).read())
if not m:
    sys.exit("report check: the page's script did not run (no data-check in the DOM)")
tables, figures, loaded = map(int, m.groups())
print(f"rendered DOM: {tables} tables, {figures} figures, {loaded} decoded by the browser")
img = mpimg.imread(shot)[..., :3]
h = img.shape[0]
dark = (img.max(axis=2) < 0.3)                          # text and table rules
colour = (img.max(axis=2) - img.min(axis=2) > 0.35)     # the heatmaps' colours
top, rest = dark[: h // 3].mean(), colour[h // 3:].mean()
print(f"screenshot {img.shape[1]}x{h}: dark pixels in the top third {100 * top:.1f} %, "
      f"saturated pixels below it {100 * rest:.1f} %")
ok = tables >= 3 and figures >= 3 and loaded == figures and top > 0.01 and rest > 0.02
sys.exit(0 if ok else "report check failed")
PY
echo "report check passed: $out/report.html, screenshot $out/report.png"
