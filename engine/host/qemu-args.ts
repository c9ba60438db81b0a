// QEMU's command line for the Berth VM, as a pure function so it can be unit-tested.
import { accelArgs } from './accel-args.ts';
import { NETDEV } from './qemu-hostfwd.ts';
import { MUX_PORT } from './mux-link.ts';
import { BOOT_PORT } from './agent-boot-port.ts';
import { selectQemu } from './qemu-runtime.ts';
import type { VmImage } from '../image/vm-image.ts';
import type { SharedFolders, VmSpec } from './vm-driver.ts';

export type { VmImage };

/** A VmSpec's machine as it is, the rest in QEMU's terms (qemu-driver.ts maps one to the other). */
export interface VmConfig
  extends Pick<VmSpec, 'image' | 'accel' | 'cpus' | 'memoryMiB' | 'dataDisk' | 'sshPort' | 'consoleLog'> {
  qmpSocket: string;
  authorizedKeysFile: string;
  hostKeyFile: string;
  pidFile?: string;
  /** The unix socket QEMU serves for the VM's virtio-serial data port (mux-link.ts). */
  muxSocket?: string;
  /** The unix socket QEMU serves for the port the agent arrives on at boot (agent-boot-port.ts). */
  bootSocket?: string;
  /** dockerd's daemon.json for this boot, installed by berth-init before dockerd starts. */
  daemonJsonFile?: string;
  /** Shared folders: vhost-user-fs devices, and the guest's mount list over fw_cfg. */
  shares?: SharedFolders;
  /** Extra QEMU args (BERTH_QEMU_ARGS) appended last. */
  extra?: string[];
  /** Firmware directories searched first (-L): an unpacked QEMU's own (qemu-runtime.ts). */
  firmwareDirs?: string[];
  /** The VM's network: QEMU's user network (the default) or a stream to passt (passt-net.ts). */
  netdev?: Netdev;
}

/** QEMU's user network with the SSH forward, or passt serving the same addresses (over a UNIX stream, or vhost-user). */
export type Netdev = { kind: 'user' } | { kind: 'stream' | 'vhost-user'; socket: string; mtu: number };

/**
 * The NIC and its backend. On passt the device offers passt's MTU (virtio's host_mtu), which the
 * guest's driver takes as eth0's: the guest's own configuration stays the same.
 */
export function netdevArgs(c: Pick<VmConfig, 'sshPort' | 'netdev'>): string[] {
  const n = c.netdev ?? { kind: 'user' };
  if (n.kind === 'user')
    return [
      '-netdev',
      `user,id=${NETDEV},hostfwd=tcp:127.0.0.1:${c.sshPort}-:22`,
      '-device',
      `virtio-net-pci,netdev=${NETDEV}`,
    ];
  const device = ['-device', `virtio-net-pci,netdev=${NETDEV},host_mtu=${n.mtu}`];
  return n.kind === 'stream'
    ? ['-netdev', `stream,id=${NETDEV},server=off,addr.type=unix,addr.path=${optValue(n.socket)}`, ...device]
    : [
        '-chardev',
        `socket,id=${NETDEV}chr,path=${optValue(n.socket)}`,
        '-netdev',
        `vhost-user,id=${NETDEV},chardev=${NETDEV}chr`,
        ...device,
      ];
}

// lsm=: without the BPF LSM, systemd does not attach its bpf-restrict-fs program, which took
// 2.3 s of every emulated boot (measured); AppArmor is off already, and dockerd needs none of them.
const KERNEL_CMDLINE = [
  'root=/dev/vda',
  'rw',
  'console=ttyS0',
  'apparmor=0',
  'net.ifnames=0',
  ...(process.env.BERTH_BOOT_DEBUG ? ['systemd.show_status=true'] : ['quiet', 'loglevel=4']),
  'random.trust_cpu=on',
  'panic=-1',
  'systemd.ssh_auto=no',
  'lsm=capability,landlock,yama',
].join(' ');

/**
 * The kernel's command line for a boot on `accel`. Emulation (TCG) executes nothing speculatively,
 * so the CPU side-channel mitigations (retpolines, RSB filling) guard against nothing there and
 * only cost: the image-stores tests took 176 s without them, 195 s with. Hardware accelerators run
 * the guest on a real CPU and keep them.
 */
export function kernelCmdline(accel: VmConfig['accel']): string {
  return accel === 'tcg' ? `${KERNEL_CMDLINE} mitigations=off` : KERNEL_CMDLINE;
}

export function qemuArgs(c: VmConfig): string[] {
  return [
    '-name',
    'berth',
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    '-no-reboot',
    ...(c.firmwareDirs ?? []).flatMap((d) => ['-L', d]),
    '-machine',
    'q35',
    ...accelArgs(c.accel),
    '-smp',
    String(c.cpus),
    '-m',
    String(c.memoryMiB),
    '-kernel',
    c.image.kernel,
    '-initrd',
    c.image.initrd,
    '-append',
    kernelCmdline(c.accel),
    // The root image is shared and immutable: each boot writes to a throwaway overlay.
    '-drive',
    `if=none,id=root,file=${c.image.rootfs},format=raw,snapshot=on`,
    '-device',
    'virtio-blk-pci,drive=root',
    '-drive',
    `if=none,id=data,file=${c.dataDisk},format=qcow2,discard=unmap,cache=writeback`,
    '-device',
    'virtio-blk-pci,drive=data',
    ...netdevArgs(c),
    '-device',
    'virtio-rng-pci',
    '-device',
    'virtio-balloon-pci,free-page-reporting=on',
    '-fw_cfg',
    `name=opt/berth/authorized_keys,file=${c.authorizedKeysFile}`,
    '-fw_cfg',
    `name=opt/berth/ssh_host_ed25519_key,file=${c.hostKeyFile}`,
    '-chardev',
    `file,id=console,path=${c.consoleLog}`,
    '-serial',
    'chardev:console',
    '-qmp',
    `unix:${c.qmpSocket},server=on,wait=off`,
    ...serialPorts(c),
    ...(c.daemonJsonFile ? ['-fw_cfg', `name=opt/berth/daemon.json,file=${c.daemonJsonFile}`] : []),
    ...(c.pidFile ? ['-pidfile', c.pidFile] : []),
    ...(c.shares?.devices.length || c.netdev?.kind === 'vhost-user' ? sharedMemoryArgs(c.memoryMiB) : []),
    ...(c.shares ? virtiofsQemuArgs(c.shares) : []),
    ...(c.extra ?? []),
  ];
}

/** QEMU's option syntax: a comma inside a value is written twice. */
function optValue(v: string): string {
  return v.replaceAll(',', ',,');
}

/**
 * vhost-user devices (virtiofsd, passt in vhost-user mode) need the guest's RAM in shared memory
 * the daemons can map: a memfd backend the size of the VM's memory, as the only NUMA node.
 */
export function sharedMemoryArgs(memoryMiB: number): string[] {
  return ['-object', `memory-backend-memfd,id=mem,size=${memoryMiB}M,share=on`, '-numa', 'node,memdev=mem'];
}

/** The shared folders: a vhost-user-fs device per folder, and the guest's mount list. */
export function virtiofsQemuArgs(shares: SharedFolders): string[] {
  if (!shares.devices.length) return [];
  return [
    ...shares.devices.flatMap((s, i) => [
      '-chardev',
      `socket,id=fs${i},path=${optValue(s.socket)}`,
      '-device',
      `vhost-user-fs-pci,chardev=fs${i},tag=${s.tag}`,
    ]),
    ...(shares.listFile ? ['-fw_cfg', `name=opt/berth/shares,file=${optValue(shares.listFile)}`] : []),
  ];
}

/** The virtio-serial ports, each a unix socket QEMU serves: the data plane, the agent at boot. */
function serialPorts(c: VmConfig): string[] {
  const ports = [
    [c.muxSocket, 'mux', MUX_PORT],
    [c.bootSocket, 'boot', BOOT_PORT],
  ] as const;
  const args: string[] = [];
  for (const [socket, id, name] of ports) {
    if (!socket) continue;
    args.push(
      '-chardev',
      `socket,id=${id},path=${socket},server=on,wait=off`,
      '-device',
      `virtserialport,bus=vser.0,chardev=${id},name=${name}`,
    );
  }
  return args.length ? ['-device', 'virtio-serial-pci,id=vser', ...args] : [];
}

/** The QEMU binary for an x86_64 guest: BERTH_QEMU, else a bundled QEMU ≥ 10, else the system's (qemu-runtime.ts). */
export function qemuBinary(env = process.env, platform = process.platform): string {
  return selectQemu(env, platform).binary;
}
