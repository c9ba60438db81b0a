#!/usr/bin/env bash
# Final touches inside the bootstrapped tree ($1). Runs on the build host.
set -euo pipefail
r=$1

# No SSH host keys of any kind in the image: the host supplies one per install.
rm -f "$r"/etc/ssh/ssh_host_*

# Guest units: our set-up early; nothing that waits for a network or a console.
chroot "$r" systemctl enable berth-init.service berth-late.service berth-net.service containerd.service docker.service berth-agent-fetch.service berth-agent.service >/dev/null
# sshd starts at the first connection (the host's, once the engine runs): off the boot, where its
# start took CPU from dockerd's, and still there when dockerd never comes up.
chroot "$r" systemctl disable ssh.service >/dev/null 2>&1 || true
chroot "$r" systemctl enable ssh.socket >/dev/null
# Units that only cost emulated boot time in a VM whose root is a fresh copy every boot.
for u in kmod-static-nodes.service systemd-sysusers.service systemd-random-seed.service systemd-remount-fs.service \
         sys-kernel-debug.mount sys-kernel-tracing.mount dev-hugepages.mount modprobe@drm.service \
         systemd-firstboot.service systemd-machine-id-commit.service systemd-journal-flush.service \
         systemd-fsck-root.service systemd-hwdb-update.service ldconfig.service \
          apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer \
         dpkg-db-backup.timer systemd-timesyncd.service getty@tty1.service serial-getty@ttyS0.service \
         systemd-networkd-wait-online.service systemd-pstore.service \
         systemd-journal-catalog-update.service systemd-update-utmp.service \
         modprobe@configfs.service modprobe@fuse.service sys-kernel-config.mount sys-fs-fuse-connections.mount \
         systemd-update-done.service systemd-modules-load.service \
         systemd-udevd.service systemd-udevd-control.socket systemd-udevd-kernel.socket \
         systemd-udev-trigger.service systemd-udev-settle.service systemd-udev-load-credentials.service \
         systemd-logind.service systemd-user-sessions.service \
         systemd-tmpfiles-setup-dev-early.service systemd-tmpfiles-setup-dev.service dev-mqueue.mount run-lock.mount \
         tmp.mount proc-sys-fs-binfmt_misc.automount proc-sys-fs-binfmt_misc.mount systemd-binfmt.service \
         systemd-sysctl.service; do
  ln -sf /dev/null "$r/etc/systemd/system/$u"
done
# One-shot units that start beside the engine's path (containerd, dockerd, the guest agent) take
# what those leave of the 2 emulated vCPUs while the boot lasts. One-shot only: here systemd 257
# kept a unit's startup weight after the boot, so a long-running unit would keep it for good.
for u in systemd-tmpfiles-setup.service berth-late.service; do
  mkdir -p "$r/etc/systemd/system/$u.d"
  printf '[Service]\nStartupCPUWeight=25\n' > "$r/etc/systemd/system/$u.d/berth-boot-cpu.conf"
done
# The sockets dockerd waits for listen from systemd's start, not after sysinit.target: containerd
# and dockerd wait for no target (their units say why).
for u in docker.socket dbus.socket; do
  mkdir -p "$r/etc/systemd/system/$u.d"
  printf '[Unit]\nDefaultDependencies=no\n' > "$r/etc/systemd/system/$u.d/berth-early.conf"
done
# /tmp is a fresh tmpfs at every boot (berth.fstab): nothing for tmpfiles to empty, and now that
# dockerd no longer waits for it, it would empty /tmp beside dockerd's first containers.
mkdir -p "$r/etc/tmpfiles.d"
: > "$r/etc/tmpfiles.d/tmp.conf"
# No logind: SSH sessions (root, commands from the host) need no seat, no session and no per-user
# systemd manager, so pam_systemd leaves the PAM stack too; the host powers the VM off with
# `systemctl poweroff` (engine-controller.ts), as nothing handles the ACPI button without logind.
sed -i '/pam_systemd\.so/d' "$r/etc/pam.d/common-session"
if grep -q pam_systemd "$r/etc/pam.d/common-session"; then echo "pam_systemd still in common-session" >&2; exit 1; fi
# No udev (berth-init names the virtio-serial ports itself; the kernel's devtmpfs makes the nodes),
# no generators: nothing here has an fstab, a SysV script, a getty or a TPM for them to turn into
# units, and each is an emulated process start.
mkdir -p "$r/etc/systemd/system-generators"
for g in "$r"/usr/lib/systemd/system-generators/*; do
  ln -sf /dev/null "$r/etc/systemd/system-generators/${g##*/}"
done
# root's home is not /root: a host folder shared at its own path may be /root (a Linux host run
# as root), and the VM's shells would then read the host's dotfiles (measured: a host .bashrc
# that runs pyenv made every SSH command 3 s slower under emulation).
install -d -m 0700 "$r/var/lib/berth-root"
sed -i 's#^root:x:0:0:root:/root:#root:x:0:0:root:/var/lib/berth-root:#' "$r/etc/passwd"
grep -q '^root:x:0:0:root:/var/lib/berth-root:' "$r/etc/passwd"
echo berth > "$r/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tberth\n' > "$r/etc/hosts"
: > "$r/etc/machine-id"
rm -f "$r/var/lib/dbus/machine-id"
# journald: keep logs in memory only, small.
mkdir -p "$r/etc/systemd/journald.conf.d"
printf '[Journal]\nStorage=volatile\nRuntimeMaxUse=32M\n' > "$r/etc/systemd/journald.conf.d/berth.conf"

# binfmt emulation for linux/arm64 only: drop every other qemu-user binary and rule.
find "$r/usr/bin" -name 'qemu-*' ! -name 'qemu-aarch64' -delete
find "$r/usr/lib/binfmt.d" -name 'qemu-*' ! -name 'qemu-aarch64.conf' -delete
mkdir -p "$r/usr/libexec/qemu-binfmt"
ln -sf /usr/bin/qemu-aarch64 "$r/usr/libexec/qemu-binfmt/aarch64-binfmt-P"

# Kernel modules no VM of ours loads. The rest uncompressed: every module a boot loads (virtio_net,
# overlay, nf_tables, bridge, …) would otherwise be an xz decompression under emulation.
for k in "$r"/lib/modules/*; do
  rm -rf "$k"/kernel/sound "$k"/kernel/drivers/gpu "$k"/kernel/drivers/media "$k"/kernel/drivers/infiniband \
         "$k"/kernel/drivers/net/wireless "$k"/kernel/net/wireless "$k"/kernel/net/bluetooth "$k"/kernel/drivers/bluetooth
  find "$k" -name '*.ko.xz' -exec xz -d {} +
  chroot "$r" depmod "$(basename "$k")"
done
# The initramfs only loads virtio and ext4 (modules.d/berth) and mounts the root: no udev coldplug
# (seconds of emulated boot), no fsck of a root that is a fresh copy every boot, no resume device,
# no thermal drivers. Rebuilt here, after the modules above changed.
rm -f "$r"/usr/share/initramfs-tools/hooks/{udev,fsck,resume,thermal} \
      "$r"/usr/share/initramfs-tools/scripts/init-top/udev "$r"/usr/share/initramfs-tools/scripts/init-bottom/udev \
      "$r"/usr/share/initramfs-tools/scripts/local-premount/resume
chroot "$r" update-initramfs -u -k all >/dev/null
# Mount points of the data disk's directories (berth-init, berth.fstab).
mkdir -p "$r"/mnt/data "$r"/var/lib/docker "$r"/var/lib/containerd "$r"/etc/docker

rm -rf "$r"/var/cache/apt/* "$r"/var/lib/apt/lists/* "$r"/var/log/*.log "$r"/usr/share/doc
