#!/usr/bin/env bash
# windows.check: scripts/windows-check.bat, the check a Windows user runs, run by Wine's cmd
# against this build. `check_script_test.sh BUILD_DIR WINE64`, under
# scripts/run-windows-tests.sh (WINEPREFIX, and DISPLAY for winevulkan). Expects every check
# to pass or skip (under Wine 8 the Vulkan streams skip: no VK_KHR_external_memory_win32),
# the host-frames stream to pass, and a build folder without geyser.exe to fail with exit 1.
set -uo pipefail
build=$(cd "$1" && pwd)
wine64=${2:-/usr/lib/wine/wine64}
script=$(cd "$(dirname "$0")/../../scripts" && pwd)/windows-check.bat
export WINEDEBUG=${WINEDEBUG:--all}
export WINEDLLOVERRIDES=${WINEDLLOVERRIDES:-"mscoree,mshtml="}
winpath() { printf 'Z:%s' "${1//\//\\}"; }
failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

out=$("$wine64" cmd /c "$(winpath "$script")" "$(winpath "$build")" 2>&1 | tr -d '\r')
rc=$?
echo "$out"
[[ $rc -eq 0 ]] || fail "windows-check.bat exited $rc"
grep -q '^PASS: host frames, host sender to host receiver' <<<"$out" || fail "no host-frames PASS"
grep -q ' 0 failed' <<<"$out" || fail "the report counts failures"
grep -q '^FAIL' <<<"$out" && fail "a check failed"

empty=$(mktemp -d)
trap 'rm -rf "$empty"' EXIT
out=$("$wine64" cmd /c "$(winpath "$script")" "$(winpath "$empty")" 2>&1 | tr -d '\r')
rc=$?
[[ $rc -eq 1 ]] || fail "without geyser.exe: exit $rc, want 1"
grep -q '^FAIL: geyser.exe - not found' <<<"$out" || fail "without geyser.exe: $out"

[[ $failures -eq 0 ]] && echo "windows.check: all checks passed" && exit 0
exit 1
