#!/usr/bin/env bash
# Installs the Debian 12 packages the Windows build and its tests need, when they are
# missing: the mingw-w64 cross compiler (posix threads), Wine 8 to run the tests, the
# GoogleTest sources (built for mingw from /usr/src/googletest) and the header-only
# tl::expected (its headers are staged for the cross build, never /usr/include itself), the
# Vulkan headers (libvulkan-dev, staged the same way; the import library for vulkan-1.dll is
# made from cmake/vulkan/vulkan-1.def), and for the Vulkan tests under Wine the host's
# lavapipe (mesa-vulkan-drivers, which Wine's winevulkan runs on) and Xvfb (winevulkan
# needs an X display; scripts/run-windows-tests.sh starts one), and the geyser command's
# header-only CLI11, nlohmann-json and stb (staged like tl::expected).
# Runs apt-get as root; as another user it names the missing packages and exits 1.
# Idempotent: nothing is done when everything is installed. The WINEPREFIX is made by the
# test runner (scripts/run-windows-tests.sh), not here.
set -euo pipefail

packages=(
  cmake make
  g++-mingw-w64-x86-64-posix
  wine wine64
  googletest libexpected-dev
  libvulkan-dev mesa-vulkan-drivers xvfb
  libcli11-dev nlohmann-json3-dev libstb-dev
)

. "$(dirname "$0")/apt-install-missing.sh"
install_missing "${packages[@]}"
