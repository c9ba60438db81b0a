#!/bin/sh
# Lazy pulling in the VM, run as root over the host's link: `stargz-guest.sh on|off`, stdin holds
# containerd-stargz-grpc's config (on). The VM's root disk is thrown away at every boot, so what
# lives outside the data disk (containerd's proxy plugin, the running snapshotter, the cache's bind
# mount) is set up again by each boot that has the feature on; the binary and the cache stay on
# the data disk. containerd restarts here; dockerd restarts afterwards with its storage-driver.
set -eu
DIR=/mnt/data/berth-features/stargz
BIN=$DIR/containerd-stargz-grpc
ROOT=/var/lib/containerd-stargz-grpc
SOCK=/run/containerd-stargz-grpc/containerd-stargz-grpc.sock
CONF=/etc/containerd/config.toml
# The image's own containerd config, kept once so "off" (and a repeated "on") start from it.
[ -f "$CONF.berth-base" ] || cp "$CONF" "$CONF.berth-base"
case "$1" in
on)
  [ -x "$BIN" ] || { echo "containerd-stargz-grpc is not on the data disk" >&2; exit 1; }
  mkdir -p /etc/containerd-stargz-grpc /mnt/data/containerd-stargz-grpc "$ROOT"
  SCONF=/etc/containerd-stargz-grpc/config.toml
  cat > "$SCONF.new"
  # The snapshotter's cache is on the data disk (it counts in berth df), not the throw-away root.
  mountpoint -q "$ROOT" || mount --bind /mnt/data/containerd-stargz-grpc "$ROOT"
  # The package's converter beside it, on PATH (README: converting an image to eStargz).
  [ ! -x "$DIR/ctr-remote" ] || ln -sf "$DIR/ctr-remote" /usr/local/bin/ctr-remote
  if ! systemctl -q is-active berth-stargz.service || ! cmp -s "$SCONF.new" "$SCONF"; then
    mv "$SCONF.new" "$SCONF"
    systemctl stop berth-stargz.service 2>/dev/null || true
    systemctl reset-failed berth-stargz.service 2>/dev/null || true
    # KillMode=mixed: SIGTERM to the snapshotter alone, which unmounts its FUSE layers first.
    systemd-run --quiet --unit=berth-stargz --description="stargz snapshotter (Berth lazy pulling)" \
      --property=KillMode=mixed --property=Restart=on-failure "$BIN"
  else
    rm -f "$SCONF.new"
  fi
  i=0; while [ ! -S "$SOCK" ]; do i=$((i+1)); [ $i -gt 600 ] && { journalctl -u berth-stargz -n 20 --no-pager >&2; exit 1; }; sleep 0.1; done
  { cat "$CONF.berth-base"; printf '\n# Berth: lazy pulling (eStargz)\n[proxy_plugins]\n  [proxy_plugins.stargz]\n    type = "snapshot"\n    address = "%s"\n' "$SOCK"; } > "$CONF.tmp"
  ;;
off)
  cp "$CONF.berth-base" "$CONF.tmp"
  ;;
*) echo "usage: $0 on|off" >&2; exit 2 ;;
esac
if ! cmp -s "$CONF.tmp" "$CONF"; then
  mv "$CONF.tmp" "$CONF"
  systemctl restart containerd
  i=0; while [ ! -S /run/containerd/containerd.sock ]; do i=$((i+1)); [ $i -gt 600 ] && exit 1; sleep 0.1; done
else
  rm -f "$CONF.tmp"
fi
if [ "$1" = off ]; then
  systemctl stop berth-stargz.service 2>/dev/null || true
  mountpoint -q "$ROOT" && umount "$ROOT" || true
fi
