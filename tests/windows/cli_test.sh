#!/usr/bin/env bash
# windows.cli: geyser.exe as two Wine processes. `cli_test.sh GEYSER_EXE WINE64`, run by ctest
# under scripts/run-windows-tests.sh, which exports WINEPREFIX and WINEDEBUG. Checks that a
# `send --api host` is read by `recv --api host --verify` with every frame matching the test
# pattern and its metadata delivered, that `list --json` shows the channel, that the PNG of
# the newest frame is written, and the exit codes of an unknown channel (1), a bad --size (2)
# and --api vulkan where the driver lacks VK_KHR_external_memory_win32 (1, saying so).
set -uo pipefail

exe=$1
wine64=${2:-/usr/lib/wine/wine64}
[[ -x "$wine64" ]] || wine64=$(command -v wine64)
export WINEDEBUG=${WINEDEBUG:--all}
export WINEDLLOVERRIDES=${WINEDLLOVERRIDES:-"mscoree,mshtml="}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
failures=0
name="wcli-$$"

geyser() { "$wine64" "$exe" "$@"; }
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}
expect_rc() {  # expect_rc WANT LABEL -- command...
  local want=$1 label=$2 rc
  shift 3
  "$@" >"$work/out" 2>"$work/err"
  rc=$?
  if [[ $rc -ne $want ]]; then
    fail "$label: exit $rc, want $want"
    cat "$work/out" "$work/err"
  else
    echo "ok: $label (exit $rc)"
  fi
}

# The receiver comes first and waits for the sender (--timeout), so that it sees the stream
# from its start; the sender sends more frames than the receiver needs, at a pace both keep.
frames=60
geyser recv "$name" --api host --frames "$frames" --verify --json --timeout 60 \
  --png 'newest.png' >"$work/recv.json" 2>"$work/recv.err" &
recv_pid=$!
geyser send "$name" --api host --size 320x240 --frames 600 --fps 60 \
  --metadata 'frame {frame}' >"$work/send.out" 2>"$work/send.err" &
send_pid=$!

listed=0
for _ in $(seq 40); do
  if geyser list --json >"$work/list.json" 2>/dev/null &&
    grep -q "\"name\": \"$name\"" "$work/list.json"; then
    listed=1
    break
  fi
  sleep 0.5
done
if [[ $listed -eq 1 ]]; then
  echo "ok: list --json shows $name"
  grep -q '"protocol": 2' "$work/list.json" || fail "list --json: no protocol 2"
  grep -q '"width": 320' "$work/list.json" || fail "list --json: no width 320"
else
  fail "list --json never showed $name"
  cat "$work/list.json" 2>/dev/null
fi

wait "$recv_pid"
recv_rc=$?
kill "$send_pid" 2>/dev/null
wait "$send_pid" 2>/dev/null
if [[ $recv_rc -ne 0 ]]; then
  fail "recv --verify exited $recv_rc"
  cat "$work/recv.json" "$work/recv.err"
else
  json=$(tr -d '\r' <"$work/recv.json")
  for want in "\"frames\": $frames" '"verified": true' '"bad": 0' '"skipped": 0' '"transfer": "host"' \
    '"metadata": "frame [0-9]+"'; do
    grep -Eq "$want" <<<"$json" || fail "recv --json lacks $want"
  done
  echo "ok: recv --api host --verify: $frames frames, 0 bad, 0 skipped"
fi
# The PNG is written in the receiver's working directory ($work, through Wine's Z: drive).
if [[ "$(head -c 4 newest.png 2>/dev/null | od -An -c | tr -d ' ')" == *PNG* ]]; then
  echo "ok: recv --png wrote a PNG"
else
  fail "recv --png: newest.png is not a PNG"
fi

expect_rc 1 "recv of an unknown channel" -- geyser recv "nochannel-$$" --api host --timeout 1
grep -q "nochannel-$$" "$work/err" || fail "unknown channel: the error does not name it"
expect_rc 2 "send --size 0x5" -- geyser send "bad-$$" --api host --size 0x5 --frames 1
expect_rc 2 "send --api nonsense" -- geyser send "bad-$$" --api nonsense --frames 1
# Wine 8's winevulkan has no VK_KHR_external_memory_win32: a Vulkan sender must refuse
# clearly. A driver that has it (Windows, Wine 10.17 and later) publishes and sends instead.
"$wine64" "$exe" send "vk-$$" --frames 3 --fps 0 >"$work/out" 2>"$work/err"
vk_rc=$?
if [[ $vk_rc -eq 0 ]]; then
  echo "ok: send --api vulkan worked (the driver shares OPAQUE_WIN32 memory)"
elif [[ $vk_rc -eq 1 && -s "$work/err" ]]; then
  echo "ok: send --api vulkan refused: $(head -n 1 "$work/err" | tr -d '\r')"
else
  fail "send --api vulkan: exit $vk_rc with no clear error"
  cat "$work/out" "$work/err"
fi

[[ $failures -eq 0 ]] && echo "windows.cli: all checks passed" && exit 0
echo "windows.cli: $failures check(s) failed"
exit 1
