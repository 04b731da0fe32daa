#!/usr/bin/env bash
# Installs the build into a temporary prefix, builds tests/install/app against it with
# find_package(geyser), and runs it. Usage: install_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
source=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S "$source/tests/install/app" -B "$work/app" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/app" >/dev/null
"$work/app/app"
test -x "$work/prefix/bin/geyser"
"$work/prefix/bin/geyser" --version
