#!/usr/bin/env bash
# Runs the Windows build's tests under Wine: `scripts/run-windows-tests.sh [BUILD_DIR]`
# (default build-windows, configured with cmake/toolchains/x86_64-w64-mingw32.cmake and
# built). Wine gets a private prefix in BUILD_DIR/wineprefix, made on first use, and no
# debug channels (WINEDEBUG=-all); Mono and Gecko are not installed into it (there is no
# network, and the tests need neither). Exits non-zero when any test fails.
set -euo pipefail

build_dir=${1:-build-windows}
[[ -f "$build_dir/CTestTestfile.cmake" ]] || {
  echo "geyser: $build_dir is not a configured Windows build (make windows)" >&2
  exit 1
}
wine64=${WINE64:-/usr/lib/wine/wine64}
[[ -x "$wine64" ]] || wine64=$(command -v wine64 || true)
[[ -n "$wine64" ]] || { echo "geyser: wine64 not found (scripts/install-windows-deps.sh)" >&2; exit 1; }

export WINEPREFIX=${WINEPREFIX:-$(cd "$build_dir" && pwd)/wineprefix}
export WINEDEBUG=-all
export WINEDLLOVERRIDES="mscoree,mshtml="
export WINEARCH=win64
wineserver=$(dirname "$wine64")/wineserver
[[ -x "$wineserver" ]] || wineserver=wineserver
if [[ ! -f "$WINEPREFIX/system.reg" ]]; then
  echo "geyser: making the Wine prefix $WINEPREFIX"
  "$wine64" wineboot --init >/dev/null 2>&1
  "$wineserver" -w
fi
# Wine 8's winevulkan reaches the host's Vulkan (lavapipe here) through its X11 display
# driver, so the Vulkan tests need an X display: without one, start Xvfb on a free display
# number when it is installed (those tests skip, saying why, when there is neither).
xvfb_pid=
if [[ -z "${DISPLAY:-}" ]] && command -v Xvfb >/dev/null; then
  for n in $(seq 90 119); do
    [[ -e /tmp/.X11-unix/X$n || -e /tmp/.X$n-lock ]] && continue
    Xvfb ":$n" -screen 0 640x480x24 -nolisten tcp >/dev/null 2>&1 &
    xvfb_pid=$!
    for _ in $(seq 50); do
      [[ -e /tmp/.X11-unix/X$n ]] && break
      kill -0 "$xvfb_pid" 2>/dev/null || break
      sleep 0.1
    done
    if [[ -e /tmp/.X11-unix/X$n ]]; then
      export DISPLAY=":$n"
      echo "geyser: started Xvfb on $DISPLAY for the Vulkan tests"
      break
    fi
    kill "$xvfb_pid" 2>/dev/null || true
    xvfb_pid=
  done
fi
status=0
(cd "$build_dir" && ctest --output-on-failure -L windows) || status=$?
# Stop this prefix's wineserver, so that nothing of the run outlives it, then our Xvfb.
"$wineserver" -k 2>/dev/null || true
if [[ -n "$xvfb_pid" ]]; then
  kill "$xvfb_pid" 2>/dev/null || true
  wait "$xvfb_pid" 2>/dev/null || true
fi
exit "$status"
