#!/usr/bin/env bash
# Runs on the GPU machine (../shared/gpu/README.md): the Python package's tests with torch
# and CuPy against a libgeyser and a `geyser` built here in build-gpu/ (targets geyser_c and
# geyser), the 1,000-frame linear CUDA tests once more with GEYSER_SYNC=gpu, and the
# acquire-to-tensor cost (python/bench_acquire.py). Usage (device tool, carry .gpu and
# build-gpu; Debian's pytest staged in .gpu/pylib where that machine's Python lacks one):
#   . .gpu/enter.sh; [GPU_BUILD=folder] bash scripts/gpu-python.sh
# Results go to $OUT: pytest.log, pytest-gpu-sync.log, bench-linear.json, bench-optimal.json.
set -u
here=$(pwd)
built=${GPU_BUILD:-build-gpu}  # a build folder, or the two files of it staged (libgeyser, geyser)
out=${OUT:-/tmp/out}
mkdir -p "$out"
export GEYSER_LIBRARY=$here/$built/src/capi/libgeyser.so
export GEYSER_CLI=$here/$built/tools/geyser/geyser
export PYTHONPATH=$here/python
if ! python3 -c "import pytest" 2>/dev/null; then
  export PYTHONPATH=$PYTHONPATH:$here/.gpu/pylib
fi
GEYSER_RUNTIME_DIR=$(mktemp -d)
export GEYSER_RUNTIME_DIR
{
  nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
  python3 -c "import sys, torch, numpy; print(sys.version.split()[0], 'torch', torch.__version__, 'numpy', numpy.__version__)"
  python3 -c "import cupy; print('cupy', cupy.__version__)" 2>&1 | tail -1
  "$GEYSER_CLI" info | grep -E "device|sync mode" | head -4
} > "$out/versions.txt" 2>&1
timeout 380 python3 -m pytest -q -r s -p no:cacheprovider python/tests > "$out/pytest.log" 2>&1
echo "pytest rc=$?" >> "$out/pytest.log"
GEYSER_SYNC=gpu timeout 90 python3 -m pytest -q -r s -p no:cacheprovider python/tests/test_cuda.py \
  -k "linear_stream or cupy_cuda_array_interface or torch_sender" > "$out/pytest-gpu-sync.log" 2>&1
echo "pytest (GEYSER_SYNC=gpu) rc=$?" >> "$out/pytest-gpu-sync.log"
timeout 150 python3 python/bench_acquire.py --start-sender --tiling linear --frames 2000 \
  > "$out/bench-linear.json" 2> "$out/bench-linear.err"
timeout 150 python3 python/bench_acquire.py --start-sender --tiling optimal --frames 2000 \
  > "$out/bench-optimal.json" 2> "$out/bench-optimal.err"
cat "$out/versions.txt"; tail -3 "$out/pytest.log"; tail -2 "$out/pytest-gpu-sync.log"
python3 - "$out/bench-linear.json" "$out/bench-optimal.json" <<'PY'
import json, sys
for f in sys.argv[1:]:
    d = json.load(open(f))
    print(f, "gpu_sync", d["gpu_sync"], "package", d.get("package"))
    for k in ("woken", "spinning", "calls"):
        print("  ", k, {p: (v["p50_us"], v["p90_us"]) for p, v in d.get(k, {}).items()})
PY
