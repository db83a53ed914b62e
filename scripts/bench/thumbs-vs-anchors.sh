#!/usr/bin/env bash
# conc-thumbs against the usual ways of thumbnailing a folder, side by side in one run:
#   conc-thumbs (-j J), vipsthumbnail under xargs -P J, ImageMagick mogrify -thumbnail under
#   xargs -P J (with -define jpeg:size), the classic Pillow + multiprocessing.Pool script, and
#   djpeg -scale 1/4 decode-only on the JPEGs as the floor; plus conc-thumbs -j 1 for the
#   1 -> J speedup; conc-thumbs --colour keep beside the default (the cost of colour management), on
#   the corpus and on a copy of its 12-megapixel JPEGs tagged Adobe RGB (every pixel converted), also
#   as the CPU time of one serial process (steadier than wall time on a shared machine); on the
#   corpus's progressive JPEGs, conc-thumbs (DC scan only at 1/8) against djpeg -scale 1/8 decode-only;
#   on camera JPEGs that carry a preview, conc-thumbs --embedded-preview against vipsthumbnail at
#   -s 160 (and how far each preview's thumbnail is from the full decode's); on camera RAW files,
#   conc-thumbs against dcraw -e then vipsthumbnail and exiftool -b -PreviewImage then vipsthumbnail.
#   Same box (256x256 but for the previews), quality 85, every output written as JPEG.
# The corpus is real photographs from Debian's wallpaper packages (fetched with apt-get download,
# never committed) plus 12-megapixel JPEG derivatives of some of them (phone-sized photos).
# Every configuration runs REPS times, interleaved; medians and min-max are reported.
# Camera files are not in Debian: CAMERA_JPEGS names a folder of camera JPEGs (the public samples:
# github.com/drewnoakes/metadata-extractor-images, folder jpg/, "free to use however you wish"), of
# which those whose preview serves a 160 box are taken; RAW_FILES a folder of camera RAW files
# (default: the Canon EOS 6D DNG of tests/data/thumbs/raw/, PhotoPrism's). Each set is linked 20
# times over, so that a program's start is paid alike by every tool. Without CAMERA_JPEGS that arm
# is left out.
#
# Usage: scripts/bench/thumbs-vs-anchors.sh [REPS] [JOBS]     (defaults: 5, 2)
#        ARMS=camera scripts/bench/thumbs-vs-anchors.sh ...    (the camera arms alone: previews, RAW)
# Output: a Markdown report on stdout, raw runs in bench-results/thumbs-vs-anchors.csv.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
reps=${1:-5}
jobs=${2:-2}
arms=${ARMS:-all}
box=256
quality=85
work=${BENCH_DIR:-$root/bench-results/thumbs}

bash scripts/setup.sh
source scripts/bench/lib.sh
ensure_packages libvips-tools imagemagick python3-pil libjpeg-turbo-progs time dcraw libimage-exiftool-perl python3-opencv
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release --target conc-thumbs >/dev/null
thumbs=$root/build/release/apps/thumbs/conc-thumbs
convert=$(command -v convert-im6.q16 || command -v convert)
mogrify=$(command -v mogrify-im6.q16 || command -v mogrify)

# ---- corpus -------------------------------------------------------------------------------
prepare_photo_corpus "$work/corpus" "$convert"
mixed=$work/corpus/mixed
jpegs=$work/corpus/jpeg
n_mixed=$(find "$mixed" -type f | wc -l)
n_jpeg=$(find "$jpegs" -type l | wc -l)
# Progressive JPEGs of the corpus (SOF2), and the 12-megapixel JPEGs tagged with an Adobe RGB profile.
progressive=$work/corpus/progressive
tagged=$work/corpus/tagged
if [ ! -f "$work/corpus/.extra-done" ]; then
  rm -rf "$progressive" "$tagged"
  mkdir -p "$progressive" "$tagged"
  for f in "$jpegs"/*; do
    [ "$(identify -format '%[interlace]' "$f[0]" 2>/dev/null)" = JPEG ] && ln -s "$(readlink -f "$f")" "$progressive/$(basename "$f")"
  done
  adobe=/usr/share/color/icc/compatibleWithAdobeRGB1998.icc
  [ -f "$adobe" ] || adobe=/usr/share/color/icc/ghostscript/a98.icc
  for f in "$mixed"/12mp/*; do
    "$convert" "$f" -profile "$adobe" -quality 90 "$tagged/$(basename "$f")" 2>/dev/null
  done
  touch "$work/corpus/.extra-done"
fi
n_progressive=$(find "$progressive" -type l | wc -l)
n_tagged=$(find "$tagged" -type f | wc -l)
# Camera JPEGs whose preview serves a 160 box, and camera RAW files, each linked 20 times over.
preview=$work/corpus/preview
raws=$work/corpus/raw
rm -rf "$preview" "$raws" "$work/preview-base"
mkdir -p "$preview" "$raws" "$work/preview-base"
if [ -n "${CAMERA_JPEGS:-}" ] && [ -d "$CAMERA_JPEGS" ]; then
  "$thumbs" --embedded-preview -s 160 --no-progress --force --report "$work/preview-pick.json" -o "$work/preview-pick" \
    "$CAMERA_JPEGS" >/dev/null 2>&1 || true
  /usr/bin/python3 -c '
import json, os, sys
for f in json.load(open(sys.argv[1]))["files"]:
    if f.get("from") in ("exif-thumbnail", "mpf-preview"):
        os.symlink(f["source"], os.path.join(sys.argv[2], os.path.basename(f["source"])))
' "$work/preview-pick.json" "$work/preview-base"
fi
for f in "$work"/preview-base/*; do
  [ -e "$f" ] || continue
  for k in $(seq 1 20); do ln -s "$(readlink -f "$f")" "$preview/${k}_$(basename "$f")"; done
done
raw_dir=${RAW_FILES:-$root/tests/data/thumbs/raw/canon_eos_6d.dng}
find -L "$raw_dir" -type f \( -iname '*.dng' -o -iname '*.cr2' -o -iname '*.cr3' -o -iname '*.nef' -o -iname '*.arw' \
  -o -iname '*.raf' -o -iname '*.rw2' -o -iname '*.orf' -o -iname '*.pef' \) -print0 |
  while IFS= read -r -d '' f; do
    for k in $(seq 1 20); do ln -s "$(readlink -f "$f")" "$raws/${k}_$(basename "$f")"; done
  done
n_preview=$(find "$preview" -type l | wc -l)
n_raw=$(find "$raws" -type l | wc -l)
mp=$(find "$mixed" -type f -print0 | xargs -0 identify -format '%w %h\n' 2>/dev/null | awk '{s += $1 * $2} END {printf "%.0f", s / 1e6}')
echo "corpus: $n_mixed images ($n_jpeg JPEG), $mp megapixels in all" >&2

# ---- contenders -----------------------------------------------------------------------------
out=$work/out
run_conc() { "$thumbs" -j "$1" -s $box -q $quality -f jpeg --force --no-progress -o "$out" "$2" 2>/dev/null; }
run_conc_keep() { "$thumbs" -j "$1" -s $box -q $quality -f jpeg --colour keep --force --no-progress -o "$out" "$2" 2>/dev/null; }
run_conc_serial() { "$thumbs" --engine serial -s $box -q $quality -f jpeg --colour "$1" --force --no-progress -o "$out" "$2" 2>/dev/null; }
run_vips() { find -L "$1" -type f | xargs -P "$jobs" -n 8 vipsthumbnail -s ${box}x${box} -o "$out/%s.jpg[Q=$quality]"; }
run_magick() {
  find -L "$1" -type f | xargs -P "$jobs" -n 8 "$mogrify" -path "$out" -format jpg -define jpeg:size=$((2 * box))x$((2 * box)) \
    -thumbnail ${box}x${box} -quality $quality 2>/dev/null
}
run_pillow() { /usr/bin/python3 scripts/bench/pillow_thumbs.py "$1" "$out" $box $quality "$jobs"; }
run_djpeg() { find -L "$1" -type f | xargs -P "$jobs" -n 8 sh -c 'for f; do djpeg -scale 1/4 "$f" > /dev/null; done' sh; }
run_djpeg8() { find -L "$1" -type f | xargs -P "$jobs" -n 8 sh -c 'for f; do djpeg -scale 1/8 "$f" > /dev/null; done' sh; }
run_conc_preview() { "$thumbs" -j "$jobs" -s 160 -q $quality -f jpeg --embedded-preview --force --no-progress -o "$out" "$1" 2>/dev/null; }
run_vips160() { find -L "$1" -type f | xargs -P "$jobs" -n 8 vipsthumbnail -s 160x160 -o "$out/%s.jpg[Q=$quality]"; }
# The camera's preview out of each RAW, then a thumbnail of it: as a shell script would do it.
run_dcraw_vips() {
  find -L "$1" -type f | xargs -P "$jobs" -n 8 sh -c 'for f; do t=$(mktemp -p "$0" XXXXXX.jpg);
    dcraw -e -c "$f" > "$t" && vipsthumbnail -s '$box'x'$box' -o "%s.thumb.jpg[Q='$quality']" "$t"; rm -f "$t" "${t%.jpg}.thumb.jpg"; done' "$out"
}
run_exiftool_vips() {
  find -L "$1" -type f | xargs -P "$jobs" -n 8 sh -c 'for f; do t=$(mktemp -p "$0" XXXXXX.jpg);
    exiftool -b -PreviewImage "$f" > "$t" && vipsthumbnail -s '$box'x'$box' -o "%s.thumb.jpg[Q='$quality']" "$t"; rm -f "$t" "${t%.jpg}.thumb.jpg"; done' "$out"
}

csv=$root/bench-results/thumbs-vs-anchors.csv
mkdir -p "$(dirname "$csv")"
echo "corpus,tool,jobs,rep,images,seconds,max_rss_kb,cpu_seconds" > "$csv"
measure() {  # corpus tool jobs rep images command...
  local corpus=$1 tool=$2 j=$3 rep=$4 images=$5
  shift 5
  rm -rf "$out"
  mkdir -p "$out"
  sync
  local wall rss user system cpu
  /usr/bin/time -f "%e %M %U %S" -o "$work/time.txt" "$@" >/dev/null 2>&1 || true
  read -r wall rss user system < <(tail -1 "$work/time.txt")
  cpu=$(awk -v u="$user" -v s="$system" 'BEGIN {printf "%.2f", u + s}')
  echo "  $corpus $tool -j $j: $wall s (CPU $cpu s), max RSS $rss KB" >&2
  echo "$corpus,$tool,$j,$rep,$images,$wall,$rss,$cpu" >> "$csv"
}
export -f run_conc run_conc_keep run_conc_serial run_djpeg8 run_vips run_magick run_pillow run_djpeg run_conc_preview \
  run_vips160 run_dcraw_vips run_exiftool_vips
export thumbs box quality out jobs mogrify

for rep in $(seq 1 "$reps"); do
  echo "repetition $rep/$reps" >&2
  if [ "$arms" = all ]; then
    measure mixed conc-thumbs "$jobs" "$rep" "$n_mixed" bash -c 'run_conc "$jobs" "$0"' "$mixed"
    measure mixed vipsthumbnail "$jobs" "$rep" "$n_mixed" bash -c 'run_vips "$0"' "$mixed"
    measure mixed "pillow-pool" "$jobs" "$rep" "$n_mixed" bash -c 'run_pillow "$0"' "$mixed"
    measure mixed "imagemagick-mogrify" "$jobs" "$rep" "$n_mixed" bash -c 'run_magick "$0"' "$mixed"
    measure mixed conc-thumbs 1 "$rep" "$n_mixed" bash -c 'run_conc 1 "$0"' "$mixed"
    measure mixed "conc-thumbs-colour-keep" "$jobs" "$rep" "$n_mixed" bash -c 'run_conc_keep "$jobs" "$0"' "$mixed"
    measure tagged conc-thumbs "$jobs" "$rep" "$n_tagged" bash -c 'run_conc "$jobs" "$0"' "$tagged"
    measure tagged "conc-thumbs-colour-keep" "$jobs" "$rep" "$n_tagged" bash -c 'run_conc_keep "$jobs" "$0"' "$tagged"
    measure mixed "conc-thumbs-serial" 1 "$rep" "$n_mixed" bash -c 'run_conc_serial srgb "$0"' "$mixed"
    measure mixed "conc-thumbs-serial-colour-keep" 1 "$rep" "$n_mixed" bash -c 'run_conc_serial keep "$0"' "$mixed"
    measure tagged "conc-thumbs-serial" 1 "$rep" "$n_tagged" bash -c 'run_conc_serial srgb "$0"' "$tagged"
    measure tagged "conc-thumbs-serial-colour-keep" 1 "$rep" "$n_tagged" bash -c 'run_conc_serial keep "$0"' "$tagged"
    measure progressive conc-thumbs "$jobs" "$rep" "$n_progressive" bash -c 'run_conc "$jobs" "$0"' "$progressive"
    measure progressive "djpeg-1/8-decode-only" "$jobs" "$rep" "$n_progressive" bash -c 'run_djpeg8 "$0"' "$progressive"
    measure jpeg conc-thumbs "$jobs" "$rep" "$n_jpeg" bash -c 'run_conc "$jobs" "$0"' "$jpegs"
    measure jpeg "djpeg-1/4-decode-only" "$jobs" "$rep" "$n_jpeg" bash -c 'run_djpeg "$0"' "$jpegs"
    measure jpeg vipsthumbnail "$jobs" "$rep" "$n_jpeg" bash -c 'run_vips "$0"' "$jpegs"
    measure jpeg "pillow-pool" "$jobs" "$rep" "$n_jpeg" bash -c 'run_pillow "$0"' "$jpegs"
  fi
  if [ "$n_preview" -gt 0 ]; then
    measure preview "conc-thumbs-embedded-preview" "$jobs" "$rep" "$n_preview" bash -c 'run_conc_preview "$0"' "$preview"
    measure preview "vipsthumbnail-160" "$jobs" "$rep" "$n_preview" bash -c 'run_vips160 "$0"' "$preview"
  fi
  if [ "$n_raw" -gt 0 ]; then
    measure raw conc-thumbs "$jobs" "$rep" "$n_raw" bash -c 'run_conc "$jobs" "$0"' "$raws"
    measure raw "dcraw-e+vipsthumbnail" "$jobs" "$rep" "$n_raw" bash -c 'run_dcraw_vips "$0"' "$raws"
    measure raw "exiftool-preview+vipsthumbnail" "$jobs" "$rep" "$n_raw" bash -c 'run_exiftool_vips "$0"' "$raws"
  fi
done

# Each preview's thumbnail against the full decode's (the same box, PNG): mean absolute difference
# per sample, and whether it is the right way up (the full decode turns by EXIF).
mad=$root/bench-results/thumbs-preview-mad.csv
echo "file,made_from,mad" > "$mad"
if [ "$n_preview" -gt 0 ]; then
  rm -rf "$work/mad-preview" "$work/mad-full"
  "$thumbs" -s 160 -f png --embedded-preview --no-progress --report "$work/mad.json" -o "$work/mad-preview" \
    "$work/preview-base" >/dev/null 2>&1 || true
  "$thumbs" -s 160 -f png --no-progress -o "$work/mad-full" "$work/preview-base" >/dev/null 2>&1 || true
  /usr/bin/python3 -c '
import cv2, json, os, sys
report, ours, full = sys.argv[1:4]
for f in json.load(open(report))["files"]:
    name = os.path.basename(f["output"])
    a, b = cv2.imread(os.path.join(ours, name)), cv2.imread(os.path.join(full, name))
    mad = float(abs(a.astype(int) - b.astype(int)).mean()) if a is not None and b is not None and a.shape == b.shape else -1
    print("%s,%s,%.2f" % (name, f.get("from"), mad))
' "$work/mad.json" "$work/mad-preview" "$work/mad-full" >> "$mad"
fi

# Peak memory of one conc-thumbs worker per kind of input: one process, one image at a time.
for kind in $([ "$arms" = all ] && echo 12mp orig progressive); do
  peak=0
  peak_file=none
  dir=$mixed/$kind
  [ "$kind" = progressive ] && dir=$progressive
  for f in "$dir"/*; do
    rm -rf "$out"
    /usr/bin/time -f "%M" -o "$work/time.txt" "$thumbs" --engine serial -s $box -f jpeg --no-progress -o "$out" "$f" >/dev/null 2>&1 || true
    kb=$(tail -1 "$work/time.txt")
    [ "$kb" -gt "$peak" ] && peak=$kb && peak_file=$(basename "$f")
  done
  echo "memory,$kind,1,1,1,0,$peak,0" >> "$csv"
  echo "  peak RSS of one worker on $kind: $peak KB ($peak_file)" >&2
done

/usr/bin/python3 scripts/bench/summarize_thumbs.py "$csv" "$jobs" "$n_mixed" "$n_jpeg" "$mp" "$n_progressive" "$n_tagged" \
  "$mad"
