#!/usr/bin/env bash
# Renders the SVG sources in assets/src to the PNGs the app and its installers use. The PNGs are
# committed, so building needs no SVG renderer; run this after changing a source
# (needs rsvg-convert: Debian package librsvg2-bin).
set -euo pipefail
cd "$(dirname "$0")"
command -v rsvg-convert >/dev/null || { echo "render.sh: needs rsvg-convert (apt-get install librsvg2-bin)" >&2; exit 1; }
png() { rsvg-convert -w "$2" -h "$2" "src/$1.svg" -o "$3"; }

# App icon: electron-builder makes the macOS .icns and the Windows .ico from the 1024 px one;
# Linux installers take the folder of sizes.
png icon 1024 icon.png
mkdir -p icons tray
for s in 16 24 32 48 64 128 256 512; do png icon "$s" "icons/${s}x${s}.png"; done
# Tray: 16 px and @2x (Electron picks it on HiDPI screens), one per engine state.
for state in running starting stopped error; do
  png "tray-$state" 16 "tray/$state.png"
  png "tray-$state" 32 "tray/$state@2x.png"
done
echo "rendered: icon.png, icons/, tray/"
