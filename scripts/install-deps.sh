#!/usr/bin/env bash
# Installs the Debian 12 packages Geyser needs to build and test, when they are missing.
# Runs apt-get as root; as another user it names the missing packages and exits 1.
set -euo pipefail

packages=(
  cmake g++ make pkg-config
  libvulkan-dev mesa-vulkan-drivers vulkan-validationlayers glslc
  libegl-dev libgl-dev libegl-mesa0 libgl1-mesa-dri libepoxy-dev
  libexpected-dev nlohmann-json3-dev libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev libstb-dev
  clang-14 libclang-rt-14-dev
  pipewire pipewire-bin libspa-0.2-modules libpipewire-0.3-dev
  libdlpack-dev
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev gstreamer1.0-tools
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly gstreamer1.0-libav
  gstreamer1.0-gl xvfb
  python3 python3-numpy python3-pytest python3-venv python3-pip python3-setuptools python3-wheel
)

. "$(dirname "$0")/apt-install-missing.sh"
install_missing "${packages[@]}"
