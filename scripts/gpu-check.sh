#!/usr/bin/env bash
# Runs on the GPU machine (see ../shared/gpu/README.md) from a build made here in
# build-gpu/ (cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release): every test label
# but the installed-package test (that machine has no Debian -dev packages) and the bench
# smoke tests (the modes below run geyser bench itself), geyser info,
# the demo, and the benchmarks. Usage (device tool, carry .gpu and build-gpu):
#   . .gpu/enter.sh; bash scripts/gpu-check.sh [quick|full|tests]
# Results go to $OUT. ctest files hold absolute paths: the checkout is linked where it was built.
set -u
mode=${1:-quick}
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
./tools/geyser/geyser info > "$out/info.txt" 2>&1
./tools/geyser/geyser info --json > "$out/info.json" 2>&1
{
  nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
  date -u
  ctest --output-on-failure -j8 -E "InstalledPackage|BenchQuickSmoke|BenchPipewireBaseline"
  echo "ctest rc=$?"
} > "$out/ctest.log" 2>&1
if [ "$mode" = tests ]; then grep -E "tests passed|tests failed|rc=" "$out/ctest.log"; exit 0; fi
./tools/geyser/geyser demo --png "$out/demo.png" > "$out/demo.txt" 2>&1
echo "demo rc=$?" >> "$out/demo.txt"
bench_flags=--quick
[ "$mode" = full ] && bench_flags=
./tools/geyser/geyser bench $bench_flags --json "$out/bench.json" > "$out/bench.txt" 2>&1
echo "bench rc=$?" >> "$out/bench.txt"
# The cross-device scenario alone (one GPU here: host frames forced onto the same device).
./tools/geyser/geyser bench --cross-device $bench_flags --json "$out/bench_cross_device.json" \
  > "$out/bench_cross_device.txt" 2>&1
echo "bench cross-device rc=$?" >> "$out/bench_cross_device.txt"
./bench/geyser_benchmarks --benchmark_min_time=0.05 > "$out/lifecycle.txt" 2>&1
echo "lifecycle rc=$?" >> "$out/lifecycle.txt"
# What a gpu present costs per receiver (docs/BENCHMARKS.md), in the same file.
./bench/geyser_submit_costs --benchmark_min_time=0.1 >> "$out/lifecycle.txt" 2>&1
echo "submit costs rc=$?" >> "$out/lifecycle.txt"
# What the board's one wake costs the sender with 0..8 receivers asleep (docs/BENCHMARKS.md).
./bench/geyser_wake_costs 2000 >> "$out/lifecycle.txt" 2>&1
echo "wake costs rc=$?" >> "$out/lifecycle.txt"
grep -E "tests passed|tests failed|rc=" "$out/ctest.log"; tail -3 "$out/demo.txt"; tail -2 "$out/bench.txt"
tail -8 "$out/bench_cross_device.txt"
