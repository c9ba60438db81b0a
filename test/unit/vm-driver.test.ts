// The driver seam: Berth's VmSpec says what to run in hypervisor-neutral words; the QEMU driver
// alone turns it into QEMU's terms (QMP, fw_cfg, virtio-serial, vhost-user-fs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { qemuConfig } from '../../engine/host/qemu-driver.ts';
import { qemuArgs } from '../../engine/host/qemu-args.ts';
import type { VmSpec } from '../../engine/host/vm-driver.ts';

const spec: VmSpec = {
  image: { kernel: '/i/vmlinuz', initrd: '/i/initrd', rootfs: '/i/rootfs' },
  accel: 'tcg',
  cpus: 2,
  memoryMiB: 2048,
  dataDisk: '/d/vm/data.qcow2',
  sshPort: 2222,
  consoleLog: '/d/logs/console.log',
  bootFiles: { authorizedKeys: '/d/keys/ak', hostKey: '/d/keys/hk', daemonJson: '/d/run/daemon.json' },
  channels: { mux: '/d/run/mux.sock', boot: '/d/run/boot.sock' },
  shares: {
    devices: [{ tag: 'berth0', hostPath: '/home/u', socket: '/d/run/fs/berth0.sock' }],
    listFile: '/d/run/fs/shares',
  },
  control: { socket: '/d/run/qmp.sock', pidFile: '/d/vm/qemu.pid' },
  hypervisorArgs: ['-trace', 'x'],
};

test('the QEMU driver puts every part of a VmSpec on its command line', () => {
  const args = qemuArgs(qemuConfig(spec)).join(' ');
  for (const part of [
    '-qmp unix:/d/run/qmp.sock,server=on,wait=off',
    '-pidfile /d/vm/qemu.pid',
    'name=opt/berth/authorized_keys,file=/d/keys/ak',
    'name=opt/berth/ssh_host_ed25519_key,file=/d/keys/hk',
    'name=opt/berth/daemon.json,file=/d/run/daemon.json',
    'socket,id=mux,path=/d/run/mux.sock',
    'socket,id=boot,path=/d/run/boot.sock',
    'vhost-user-fs-pci,chardev=fs0,tag=berth0',
    'name=opt/berth/shares,file=/d/run/fs/shares',
    'hostfwd=tcp:127.0.0.1:2222-:22',
    'file=/d/vm/data.qcow2',
    '-smp 2 -m 2048',
  ])
    assert.ok(args.includes(part), `${part} in: ${args}`);
  assert.ok(args.endsWith('-trace x'), 'hypervisor arguments last');
});

test('without shares, channels or a daemon.json the QEMU command line has none of them', () => {
  const bare = qemuArgs(
    qemuConfig({
      ...spec,
      shares: { devices: [] },
      channels: {},
      bootFiles: { authorizedKeys: 'a', hostKey: 'h' },
      hypervisorArgs: undefined,
    }),
  ).join(' ');
  for (const absent of ['vhost-user-fs', 'memory-backend-memfd', 'virtserialport', 'daemon.json', 'opt/berth/shares'])
    assert.ok(!bare.includes(absent), absent);
});
