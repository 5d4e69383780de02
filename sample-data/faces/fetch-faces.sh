#!/usr/bin/env bash
# Rebuild sample-data/faces/crops/ from scratch: 16 face crops, 224x224 JPEG.
#
# Every crop comes from a photo in a Debian package (fetched with
# `apt-get download`, unpacked with `dpkg-deb -x`, no root needed). The crop
# boxes are fixed and written below; they were found with OpenCV's Haar
# cascade (haarcascade_frontalface_default.xml, scaleFactor 1.1, minNeighbors
# 5) plus one box picked by hand, widened to a square about 1.4-1.5 times the
# detected face box, and checked by eye. See README.md ("Face crops") for the
# source, licence and original path of every file.
#
# Usage (from the repository root or from anywhere):
#     bash sample-data/faces/fetch-faces.sh
#
# Needs: apt-get and dpkg-deb (Debian/Ubuntu) and the real ImageMagick 6 at
# /usr/bin/convert (package `imagemagick`); set CONVERT=/path/to/convert to use
# another one. Run with INSTALL_DEPS=1 to let the script `apt-get install -y
# imagemagick` itself (through sudo when not root).
# Optional: if /usr/bin/python3 has OpenCV (packages python3-opencv and
# opencv-data), every crop is run through the Haar face detector at the end
# and the result is printed; a crop without a detection is only reported.
#
# The whole crops/ directory is replaced. Output is deterministic for a given
# ImageMagick version, but byte-identity across versions is not promised.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="$HERE/crops"
CONVERT=${CONVERT:-/usr/bin/convert}   # not just `convert`: another one may come first on PATH
SIZE=224
JPEG_Q=90

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'fetch-faces.sh: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- tools
if ! [ -x "$CONVERT" ] || ! "$CONVERT" -version 2>/dev/null | grep -q ImageMagick; then
    if [ "${INSTALL_DEPS:-0}" = 1 ]; then
        SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
        log "installing imagemagick (apt-get, needs root)"
        $SUDO apt-get update
        $SUDO apt-get install -y imagemagick
    else
        die "ImageMagick not found at $CONVERT. Install it with
    sudo apt-get install -y imagemagick
or re-run with INSTALL_DEPS=1 to let this script do it."
    fi
fi
command -v apt-get >/dev/null || die "apt-get is needed to download the Debian packages"
command -v dpkg-deb >/dev/null || die "dpkg-deb is needed to unpack the Debian packages"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/sample-faces.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
DL="$TMP/dl"; X="$TMP/x"; STAGE="$TMP/crops"
mkdir -p "$DL" "$X" "$STAGE"

# ---------------------------------------------------------------- downloads
# Versions the committed crops were made from (README.md). Newer ones are used
# if that is what apt offers; a warning is printed, and the checksums below
# tell whether the source photos (and so the crop boxes) are still the same.
declare -A DEB_VERSION=(
    [kphotoalbum]="5.9.1-1"
    [python3-skimage]="0.19.3-8"
    [python-matplotlib-data]="3.6.3-1"
)
debs=("${!DEB_VERSION[@]}")
log "apt-get download ${debs[*]}"
( cd "$DL" && apt-get download "${debs[@]}" )
for pkg in "${debs[@]}"; do
    deb="$(ls "$DL/${pkg}"_*.deb)"
    ver="$(dpkg-deb -f "$deb" Version)"
    if [ "$ver" != "${DEB_VERSION[$pkg]}" ]; then
        log "warning: got $pkg $ver, the committed crops were made from ${DEB_VERSION[$pkg]}"
    fi
    mkdir -p "$X/$pkg"
    dpkg-deb -x "$deb" "$X/$pkg"
done

# ---------------------------------------------------------------- sources
KPA=usr/share/kphotoalbum/demo
SK=usr/lib/python3/dist-packages/skimage/data
MPL=usr/share/matplotlib/mpl-data/sample_data

# SHA-256 of each source photo as shipped in the versions above.
declare -A SHA256=(
    [$KPA/jesper_2.jpg]=e7c5112cad4076c0b16f7a822b0bf559859ad84077705442769afb91c81bcb1b
    [$KPA/qt-logo.jpg]=12f4d580dff54dab5a4b0c81f4f208cdb1d134782c7b23d2f8c8bab09a80d458
    [$KPA/bar55_2.jpg]=e2a3ebc63306abf0a3ae898edd69fbc0a5cef16f28450ceb1d32c67c6f7b662a
    [$KPA/bar55.jpg]=dd57f8a93ea84b46d817d3b10d496360b81588da9ea887887d057803cc39c52d
    [$KPA/grand_canyon_2.jpg]=7814adbefb9665f506acf5123981c83bb5b22dde12b10ef57083d328a86cbdb6
    [$KPA/grand_canyon_1.jpg]=5d60136f1143918c30d5ddf8892216fc401ea126ed01afe1d8b9374cfae43669
    [$KPA/anne_helene.jpg]=75dea938bf86530e95c6b74dbcc7fb447947fd17d523121634e08f03e0e7304f
    [$KPA/wayne.jpg]=1e5e3880f65a857181ec98b9fb686e1ebfd03fc6808f002d83aefe758eacece1
    [$SK/astronaut.png]=88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5
    [$MPL/grace_hopper.jpg]=a8ca6d734765703b09728ab47fe59f473d93ae3967fc24c7c0288c3c7adb7130
)

# output file | package | path inside the package | rotation | crop box
# rotation: degrees clockwise applied before cropping (KPhotoAlbum stores the
#   scanned grand_canyon_1.jpg upside down and wayne.jpg on its side; its
#   index.xml says angle="180" and angle="90"). The crop box (WxH+X+Y, in
#   pixels) is in the coordinates of the rotated photo.
# Person labels follow the "People" tags in the package's demo/index.xml.
SOURCES="
jesper-1.jpg|kphotoalbum|$KPA/jesper_2.jpg|0|486x486+135+5
jesper-2.jpg|kphotoalbum|$KPA/qt-logo.jpg|0|232x232+298+44
jesper-3.jpg|kphotoalbum|$KPA/bar55_2.jpg|0|182x182+360+83
jesper-4.jpg|kphotoalbum|$KPA/bar55.jpg|0|183x183+345+124
jesper-5.jpg|kphotoalbum|$KPA/grand_canyon_2.jpg|0|116x116+320+222
jesper-6.jpg|kphotoalbum|$KPA/grand_canyon_1.jpg|180|99x99+116+100
anne-helene-1.jpg|kphotoalbum|$KPA/anne_helene.jpg|0|148x148+112+112
anne-helene-2.jpg|kphotoalbum|$KPA/bar55_2.jpg|0|200x200+205+98
anne-helene-3.jpg|kphotoalbum|$KPA/bar55.jpg|0|176x176+213+208
anne-helene-4.jpg|kphotoalbum|$KPA/grand_canyon_1.jpg|180|136x136+300+154
wayne-1.jpg|kphotoalbum|$KPA/qt-logo.jpg|0|183x183+144+50
wayne-2.jpg|kphotoalbum|$KPA/wayne.jpg|90|92x92+144+244
jim-1.jpg|kphotoalbum|$KPA/qt-logo.jpg|0|246x246+505+0
jim-2.jpg|kphotoalbum|$KPA/wayne.jpg|90|84x84+465+258
eileen-collins-1.jpg|python3-skimage|$SK/astronaut.png|0|140x140+154+44
grace-hopper-1.jpg|python-matplotlib-data|$MPL/grace_hopper.jpg|0|346x346+92+42
"

# ---------------------------------------------------------------- crop
count=0
while IFS='|' read -r dest pkg path rot box; do
    [ -n "$dest" ] || continue
    src="$X/$pkg/$path"
    [ -f "$src" ] || die "missing source $pkg:/$path"
    want="${SHA256[$path]:-}"
    got="$(sha256sum "$src" | cut -d' ' -f1)"
    if [ -n "$want" ] && [ "$got" != "$want" ]; then
        log "warning: $pkg:/$path differs from the photo the crop box was made for; check $dest by eye"
    fi
    log "$dest  <-  $pkg:/$path  (rotate $rot, crop $box)"
    # Crop boxes larger than 224 px are scaled down, smaller ones scaled up.
    "$CONVERT" "${src}[0]" -rotate "$rot" +repage -crop "$box" +repage \
        -resize "${SIZE}x${SIZE}!" -strip -interlace none -sampling-factor 4:2:0 \
        -quality "$JPEG_Q" "$STAGE/$dest"
    count=$((count + 1))
done <<< "$SOURCES"

rm -rf "$OUT"
mkdir -p "$OUT"
cp "$STAGE"/* "$OUT"/
log "wrote $count crops to $OUT"

# ---------------------------------------------------------------- checks
status=0
if [ -f "$HERE/faces.csv" ]; then
    while IFS= read -r ref; do
        [ -f "$HERE/$ref" ] || { log "faces.csv refers to $ref, which was not produced"; status=1; }
    done < <(grep -v '^#' "$HERE/faces.csv" | grep -o 'crops/[a-z0-9.-]*')
fi

if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import cv2' 2>/dev/null \
        && [ -f /usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml ]; then
    log "Haar face detection on each crop (information only)"
    /usr/bin/python3 - "$OUT" <<'PY' >&2
import os, sys, cv2
out = sys.argv[1]
cc = cv2.CascadeClassifier("/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml")
for name in sorted(os.listdir(out)):
    g = cv2.equalizeHist(cv2.cvtColor(cv2.imread(os.path.join(out, name)), cv2.COLOR_BGR2GRAY))
    faces = cc.detectMultiScale(g, scaleFactor=1.1, minNeighbors=5, minSize=(60, 60))
    big = max((int(w) for (_, _, w, _) in faces), default=0)
    print(f"    {name:22s} faces detected: {len(faces)}  largest box: {big} px of 224")
PY
else
    log "OpenCV not found for /usr/bin/python3: skipping the face-detection check"
fi
du -sh "$OUT" >&2
exit "$status"
