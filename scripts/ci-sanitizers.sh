#!/usr/bin/env bash
# CI's second step: the ipc and channel tests (real sockets, real processes, the channel
# core over the loopback transport) built with AddressSanitizer + UndefinedBehaviorSanitizer
# (the `asan` preset of CMakePresets.json). Only the targets those labels need are built.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset asan > /dev/null
cmake --build --preset asan -j "$(nproc)" --target \
  geyser_ipc_tests geyser_channel_core_tests geyser_channel_tests geyser_channel_peer
ctest --preset asan -L 'ipc|channel_core' -j "$(nproc)"
