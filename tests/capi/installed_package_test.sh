#!/usr/bin/env bash
# ctest capi.InstalledPackage: installs the build into a fresh prefix, compiles
# receive_check.c with `pkg-config geyser` against it, and runs it on frames from
# `geyser send` (which it starts and always stops).
# Usage: installed_package_test.sh BUILD_DIR SOURCE_DIR GEYSER_CLI
set -euo pipefail
build=$1 source=$2 cli=$3
work=$(mktemp -d)
sender=
cleanup() {
  [[ -n $sender ]] && kill "$sender" 2>/dev/null && wait "$sender" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
pc=$(find "$work/prefix" -name geyser.pc -print -quit)
[[ -n $pc ]] || { echo "geyser.pc was not installed"; exit 1; }
export PKG_CONFIG_PATH=$(dirname "$pc")
libdir=$(pkg-config --variable=libdir geyser)
cc -std=c11 -Wall -Wextra -Werror "$source/tests/capi/receive_check.c" -o "$work/receive_check" \
  $(pkg-config --cflags --libs geyser) -Wl,-rpath,"$libdir"
export GEYSER_RUNTIME_DIR=$work/run
mkdir -m 700 "$GEYSER_RUNTIME_DIR"
"$cli" send capi-check --size 64x48 --fps 200 --quiet &
sender=$!
"$work/receive_check" capi-check 100
