# Sourced by scripts/install-deps.sh and scripts/install-windows-deps.sh:
# install_missing PACKAGE... installs those of the Debian packages that are not installed,
# with apt-get as root (or passwordless sudo); as another user it names them and exits 1.
install_missing() {
  local missing=() p status
  for p in "$@"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [[ "$status" == "installed" ]] || missing+=("$p")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  local sudo=""
  if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo=sudo
    else
      echo "geyser: missing Debian packages: ${missing[*]}" >&2
      echo "geyser: install them as root:  apt-get install ${missing[*]}" >&2
      exit 1
    fi
  fi
  echo "geyser: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  ${sudo} apt-get update -qq
  ${sudo} apt-get install -y -qq --no-install-recommends "${missing[@]}"
}
