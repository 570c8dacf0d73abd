#!/usr/bin/env bash
# Installs the Debian packages xbarsim needs (when run as root), or prints the apt-get line.
set -euo pipefail
PACKAGES=(
  cmake make g++ pkg-config
  libsystemc-dev libeigen3-dev libboost-random-dev librandom123-dev libyaml-cpp-dev
  libgtest-dev libbenchmark-dev libcli11-dev nlohmann-json3-dev libspectra-dev
  python3 python3-dev python3-numpy python3-matplotlib python3-pytest pybind11-dev
  gtkwave dataset-fashion-mnist
  libopenmpi-dev openmpi-bin
  clang libclang-rt-14-dev
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "missing packages; run as root:" >&2
  echo "  apt-get install -y ${missing[*]}" >&2
  exit 1
fi
