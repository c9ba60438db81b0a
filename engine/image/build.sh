#!/usr/bin/env bash
# Builds the Berth VM image: vmlinuz, initrd.img and rootfs.img.zst (ext4, made
# without loop mounts) into the directory given as $1. Called by build.ts, which
# decides from the recipe's hash whether a build is needed at all.
set -euo pipefail
out=${1:?usage: build.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/berth-image.XXXXXX")
trap 'rm -rf "$work"' EXIT
root="$work/root"
# The guest agent's runtime (node-runtime.ts: the Node.js project's build, pinned by build.ts).
node=${BERTH_NODE_BINARY:?build.sh: BERTH_NODE_BINARY (the node binary for the VM) is not set; run it through build.ts}

packages=(
  systemd systemd-sysv udev kmod dbus iproute2 iptables procps ca-certificates e2fsprogs
  linux-image-cloud-amd64 initramfs-tools zstd
  openssh-server
  docker.io docker-cli containerd runc docker-buildx
  qemu-user qemu-user-binfmt
)

start=$(date +%s)
# No Recommends (apparmor among them) and no docs, man pages or translations.
mmdebstrap --variant=minbase --mode=root --format=directory \
  --include="$(IFS=,; echo "${packages[*]}")" \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-exclude=/usr/share/info/*' \
  --essential-hook="copy-in '$here/rootfs/usr/share/initramfs-tools' /usr/share" \
  --essential-hook="copy-in '$here/rootfs/etc/initramfs-tools' /etc" \
  --setup-hook="'$here/engine-suite.sh' \"\$1\"" \
  --customize-hook="sync-in '$here/rootfs' /" \
  --customize-hook="copy-in '$node' /usr/local/bin" \
  --customize-hook="'$here/customize.sh' \"\$1\"" \
  trixie "$root"
echo "bootstrap: $(( $(date +%s) - start )) s"

mkdir -p "$out"
# The engine's versions, recorded in build.json by build.ts.
chroot "$root" dpkg-query -W -f '${Package}\t${Version}\n' docker.io containerd runc docker-buildx docker-cli > "$out/versions.tsv"
cp "$root"/boot/vmlinuz-* "$out/vmlinuz"
cp "$root"/boot/initrd.img-* "$out/initrd.img"
rm -rf "$root"/boot/initrd.img-* "$root"/boot/vmlinuz-* "$root"/boot/System.map-*

# Root size: contents plus headroom for the per-boot copy-on-write writes.
used_mb=$(du -sm "$root" | cut -f1)
size_mb=$(( used_mb + used_mb / 4 + 256 ))
mkfs.ext4 -q -F -L berth-root -O ^has_journal -d "$root" "$work/rootfs.img" "${size_mb}M"
zstd -q -f -T0 -12 --sparse "$work/rootfs.img" -o "$out/rootfs.img.zst"
echo "rootfs: ${used_mb} MiB used, ${size_mb} MiB image, $(( $(stat -c %s "$out/rootfs.img.zst") / 1048576 )) MiB compressed"

# A fresh install's data disk, formatted here (natively, in well under a second) instead of at its
# first boot (seconds of emulated mkfs): ext4 as berth-init makes it, inode tables and journal
# zeroed now so the guest has no lazy initialisation to do, stamped with berth-init's disk format.
# Zeros stay unallocated in the qcow2 (about 10 MiB for 64 GiB).
disk_format=$(sed -n 's/^DISK_FORMAT=\([0-9]*\).*/\1/p' "$here/rootfs/usr/local/sbin/berth-init")
[ -n "$disk_format" ] || { echo "build.sh: no DISK_FORMAT in berth-init" >&2; exit 1; }
mkdir -p "$work/data/docker" "$work/data/containerd" "$work/data/etc-docker"
echo "$disk_format" > "$work/data/berth-format"
# The size ext4 already spans (sectors), so a first boot at the default size runs no resize2fs.
template_gib=64
echo $(( template_gib * 1024 * 1024 * 2 )) > "$work/data/berth-disk-size"
truncate -s "${template_gib}G" "$work/data.img"
mkfs.ext4 -q -F -L berth-data -E lazy_itable_init=0,lazy_journal_init=0 -d "$work/data" "$work/data.img"
qemu-img convert -O qcow2 "$work/data.img" "$out/data-template.qcow2"
rm -f "$work/data.img"
echo "total: $(( $(date +%s) - start )) s"
