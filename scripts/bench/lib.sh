# Shared by the benchmark scripts (source it).

# Installs the Debian packages named that are not installed yet.
ensure_packages() {
  local need=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
  done
  if [ ${#need[@]} -gt 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
}

# A URL list STEM.txt of COUNT URLs PREFIX0.bin .. PREFIX<COUNT-1>.bin, and the same list as a
# curl config STEM.curl (url/output pairs) for curl --parallel -K.
# usage: make_url_lists STEM PREFIX COUNT
make_url_lists() {
  seq 0 $(($3 - 1)) | sed "s|^|$2|; s|\$|.bin|" > "$1.txt"
  awk '{n = split($0, a, "/"); printf "url = \"%s\"\noutput = \"%s\"\n", $0, a[n]}' "$1.txt" > "$1.curl"
}

# The photo corpus of the thumbnail benchmarks, made once in DIR: DIR/mixed holds the real
# photographs of Debian's wallpaper packages (fetched with apt-get download, never committed)
# plus 12-megapixel JPEG derivatives of 20 of them; DIR/jpeg links the JPEGs among them.
# usage: prepare_photo_corpus DIR CONVERT   (CONVERT: ImageMagick's convert)
prepare_photo_corpus() {
  local dir=$1 convert=$2
  local mixed=$dir/mixed jpegs=$dir/jpeg i deb
  if [ ! -f "$dir/.done" ]; then
    rm -rf "$dir"
    mkdir -p "$dir/debs" "$mixed/orig" "$mixed/12mp" "$jpegs"
    (cd "$dir/debs" && apt-get download lomiri-wallpapers mate-backgrounds plasma-workspace-wallpapers lxqt-themes >/dev/null 2>&1)
    for deb in "$dir"/debs/*.deb; do dpkg-deb -x "$deb" "$dir/debs/x"; done
    i=0
    find "$dir/debs/x" -type f \( -iname '*.jpg' -o -iname '*.jpeg' -o -iname '*.png' \) -size +100k | sort |
      while read -r f; do
        i=$((i + 1))
        cp "$f" "$mixed/orig/$(printf %03d $i)_$(basename "$f" | tr ' ' '_')"
      done
    # 12-megapixel derivatives (4000x3000) of the first 20 JPEGs: phone-sized photos.
    find "$mixed/orig" -iname '*.jpg' | sort | head -20 | while read -r f; do
      "$convert" "$f" -resize '4000x3000!' -quality 90 "$mixed/12mp/$(basename "$f" .jpg)_12mp.jpg" 2>/dev/null
    done
    # The JPEG-only subset, by content.
    find "$mixed" -type f | while read -r f; do
      if [ "$(head -c 3 "$f" | od -An -tx1 | tr -d ' ')" = "ffd8ff" ]; then ln -s "$f" "$jpegs/$(basename "$f")"; fi
    done
    rm -rf "$dir/debs"
    touch "$dir/.done"
  fi
}
