#!/usr/bin/env bash
# Installs conc's build and test dependencies from Debian's packages.
# Idempotent: a quick no-op when everything is already there.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git clang clang-format libclang-rt-14-dev
  g++-aarch64-linux-gnu
  libopencv-dev libpng-dev libjpeg-dev libcurl4-openssl-dev libtbb-dev libcli11-dev catch2 nlohmann-json3-dev libssl-dev python3-aiohttp
  liblcms2-dev libtiff-dev libwebp-dev libgif-dev libheif-dev libexiv2-dev libraw-dev libgs-common zlib1g-dev
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
  python3-gi gir1.2-gnomedesktop-3.0
  curl
  mandoc
  man-db
  bash-completion zsh fish
  python3-jsonschema
  nginx
  openssl
  python3-httpbin
  gunicorn
)

# From the npm registry, into a fixed folder outside the work tree (kept from one run to the next):
# Lighthouse, which the gallery's test (thumbs.gallery_lighthouse) runs on Debian's Chromium. 12.2.3
# is the last release that runs on Debian's Node.js (13 wants Node 22).
lighthouse_version=12.2.3
lighthouse_dir=/opt/conc/lighthouse

sudo=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null; then
  sudo="sudo"
fi

# Node.js and npm for Lighthouse: the machine's own when it has them, else Debian's.
command -v npm >/dev/null || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -ne 0 ]; then
  echo "setup: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ] && [ -z "$sudo" ]; then
    echo "setup: missing packages (${missing[*]}) and not root; run as root or install sudo" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

installed=$(node -p "require('$lighthouse_dir/node_modules/lighthouse/package.json').version" 2>/dev/null || true)
if [ "$installed" != "$lighthouse_version" ]; then
  echo "setup: installing lighthouse@$lighthouse_version into $lighthouse_dir"
  $sudo mkdir -p "$lighthouse_dir"
  $sudo npm install --prefix "$lighthouse_dir" --no-audit --no-fund --no-update-notifier --loglevel=error \
    --save-exact "lighthouse@$lighthouse_version" >/dev/null
fi
