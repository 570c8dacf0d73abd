#!/usr/bin/env bash
# Every YAML file the repository ships (example configs, studies, presets, docs examples) is
# checked by the binary, so that no example can rot: sweep files (top-level `axes:`) with
# `xbarsim sweep --dry-run`, device and scheme presets inside a minimal config, everything else with
# `xbarsim validate`. Usage: tests/validate_shipped.sh XBARSIM_BINARY
set -uo pipefail
XBARSIM=$1
cd "$(dirname "$0")/.."
failed=0 checked=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in $(git ls-files '*.yaml' '*.yml' 2>/dev/null || find sim studies docs -name '*.yaml'); do
  case $f in tests/*) continue ;; esac
  checked=$((checked + 1))
  if grep -q '^axes:' "$f"; then
    out=$("$XBARSIM" sweep "$f" --dry-run 2>&1)
  elif [[ $f == sim/presets/devices/* ]]; then
    printf 'experiment: {type: device_response}\ndevice: {preset: %s}\n' "$(basename "$f" .yaml)" \
      > "$tmp/preset.yaml"
    out=$("$XBARSIM" validate "$tmp/preset.yaml" 2>&1)
  elif [[ $f == sim/presets/schemes/* ]]; then
    printf 'task: {type: student_teacher}\ndevice: {preset: reram_sb}\nnetwork: {hidden: [4], analog: true}\nexperiment: {type: train, steps: 1}\nscheme: {preset: %s}\n' \
      "$(basename "$f" .yaml)" > "$tmp/preset.yaml"
    out=$("$XBARSIM" validate "$tmp/preset.yaml" 2>&1)
  else
    out=$("$XBARSIM" validate "$f" 2>&1)
  fi
  if [ $? -ne 0 ]; then
    echo "FAILED: $f"
    echo "$out" | tail -3
    failed=$((failed + 1))
  fi
done
echo "$checked shipped YAML files checked, $failed failed"
[ "$checked" -gt 0 ] && [ "$failed" -eq 0 ]
