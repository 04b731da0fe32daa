#!/usr/bin/env bash
# Installs the Debian 12 packages the Windows build and its tests need, when they are
# missing: the mingw-w64 cross compiler (posix threads), Wine 8 to run the tests, the
# GoogleTest sources (built for mingw from /usr/src/googletest) and the header-only
# tl::expected (its headers are staged for the cross build, never /usr/include itself).
# Runs apt-get as root; as another user it names the missing packages and exits 1.
# Idempotent: nothing is done when everything is installed. The WINEPREFIX is made by the
# test runner (scripts/run-windows-tests.sh), not here.
set -euo pipefail

packages=(
  cmake make
  g++-mingw-w64-x86-64-posix
  wine wine64
  googletest libexpected-dev
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=sudo
  else
    echo "geyser: missing Debian packages: ${missing[*]}" >&2
    echo "geyser: install them as root:  apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi
echo "geyser: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
${SUDO:-} apt-get update -qq
${SUDO:-} apt-get install -y -qq --no-install-recommends "${missing[@]}"
