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
