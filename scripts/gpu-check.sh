#!/usr/bin/env bash
# Runs on the GPU machine (see ../shared/gpu/README.md): the test labels that need a real
# GPU, `geyser info` and the quick benchmark, from a build made here in build-gpu/.
# Usage (device tool): . .gpu/enter.sh; bash scripts/gpu-check.sh LABELS
# Logs go to $OUT. ctest files hold absolute paths: link the checkout where it was built.
set -u
labels=${1:-memory|sync|ipc|cli}
here=$(pwd)
built_at=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' build-gpu/CMakeCache.txt)
if [ "$built_at" != "$here" ]; then
  mkdir -p "$(dirname "$built_at")"
  ln -sfn "$here" "$built_at"
fi
out=${OUT:-/tmp/out}
mkdir -p "$out"
cd "$built_at/build-gpu" || exit 1
export GEYSER_RUNTIME_DIR=/tmp/geyser-gpu-rt
{ nvidia-smi --query-gpu=name,driver_version --format=csv,noheader; date -u; } > "$out/machine.txt"
./tools/geyser/geyser info > "$out/info.txt" 2>&1
./tools/geyser/geyser info --json > "$out/info.json" 2>&1
ctest --output-on-failure -j8 -L "$labels" > "$out/ctest.log" 2>&1
echo "ctest rc=$?" >> "$out/ctest.log"
tail -n 25 "$out/ctest.log"
