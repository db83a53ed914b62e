#!/usr/bin/env bash
# Installs conc's build and test dependencies from Debian's packages.
# Idempotent: a quick no-op when everything is already there.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git clang clang-format libclang-rt-14-dev
  g++-aarch64-linux-gnu
  libopencv-dev libpng-dev libjpeg-dev libcurl4-openssl-dev libtbb-dev libcli11-dev catch2 nlohmann-json3-dev libssl-dev python3-aiohttp
  liblcms2-dev libtiff-dev libwebp-dev libgif-dev libheif-dev libexiv2-dev libgs-common zlib1g-dev
  libidn2-dev
  libarchive-dev
  libcsv-dev
  python3-opencv
  libxxhash-dev
  doxygen
  munge
  slurmctld
  slurmd
  slurm-client
  openmpi-bin
  libkainjow-mustache-dev
  chromium chromium-driver python3-selenium python3-pil
  curl
  mandoc
  man-db
  bash-completion zsh fish
  nginx
  openssl
  python3-httpbin
  gunicorn
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "setup: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then
    sudo="sudo"
  else
    echo "setup: missing packages (${missing[*]}) and not root; run as root or install sudo" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
