#!/bin/sh
# Wasm containers in the VM, run as root over the host's link: `wasm-guest.sh on|off`. trixie's
# crun and the WasmEdge libraries it dlopens are unpacked on the data disk (feature-payload.ts);
# the root disk is thrown away at every boot, so each boot with the feature on makes them
# reachable again. A symlink named crun-wasm (crun takes the `wasm` handler from its argv[0]) and
# an ld.so.conf.d entry: no wrapper process per runtime call, which containerd's shim makes
# several of per container. The libraries are only those the image lacks, so nothing the VM
# already links changes.
set -eu
ROOT=/mnt/data/berth-features/wasm
LINK=/usr/local/bin/crun-wasm
CONF=/etc/ld.so.conf.d/berth-wasm.conf
case "$1" in
on)
  [ -x "$ROOT/usr/bin/crun" ] || { echo "the Wasm runtime is not on the data disk" >&2; exit 1; }
  echo "$ROOT/usr/lib/x86_64-linux-gnu" > "$CONF"
  ldconfig
  ln -sfn "$ROOT/usr/bin/crun" "$LINK"
  # Proof that the handler loads (crun prints +WASM:wasmedge only when libwasmedge is found).
  "$LINK" --version | grep -q '+WASM:wasmedge' || { "$LINK" --version >&2; echo "crun-wasm has no WasmEdge handler" >&2; exit 1; }
  ;;
off)
  rm -f "$LINK"
  if [ -e "$CONF" ]; then rm -f "$CONF"; ldconfig; fi
  # Off frees the data disk; turning it on again copies the payload once more.
  rm -rf "$ROOT"
  ;;
*) echo "usage: $0 on|off" >&2; exit 2 ;;
esac
