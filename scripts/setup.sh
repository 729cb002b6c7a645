#!/usr/bin/env bash
# Installs whatever is missing for Lepton on Debian/Ubuntu, then builds it. Idempotent: a
# second run does nothing that is already done.
#   scripts/setup.sh          engines (libtorch-dev, libxgboost-dev), build tools, npm packages, addon, TypeScript
#   scripts/setup.sh --bench  also the Python peers the benchmarks run beside Lepton
set -euo pipefail
cd "$(dirname "$0")/.."

# postgresql: the registry and SQL-source tests start a throw-away server.
# dataset-fashion-mnist: the IDX reader is tested on the real files (/usr/share/datasets/fashion-mnist).
packages=(libtorch-dev libxgboost-dev g++ make python3 pkg-config postgresql dataset-fashion-mnist)
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(python3-torch python3-sklearn python3-xgboost python3-pandas python3-numpy python3-fastapi python3-uvicorn python3-imblearn python3-optuna wrk)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if (( ${#missing[@]} > 0 )); then
  echo "lepton setup: installing ${missing[*]} (apt)"
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "lepton setup: need root or sudo to install ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "lepton setup: installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi

addon=build/Release/lepton_engine.node
if [[ ! -f $addon || -n "$(find native binding.gyp -newer "$addon" -print -quit)" ]]; then
  echo "lepton setup: building the native engine (libtorch + XGBoost), about a minute"
  npx node-gyp rebuild -j 2 --loglevel=error >/dev/null
fi

echo "lepton setup: compiling TypeScript"
npx tsc -p tsconfig.json
chmod +x dist/src/cli/main.js
