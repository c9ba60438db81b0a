// The rejected path for published ports, measured beside the chosen one (passt, the VM's network
// on Linux): QEMU's user network, on a second NIC hot-plugged into the running VM over QMP (a
// `user` netdev on its own subnet, 10.0.3.0/24, with one host forward to the VM's address on that
// NIC, where dockerd's proxy listens for a wildcard publish). Only a measurement. The q35 machine's
// root bus takes no hot-plugged device, so the bench boots the VM with a spare pcie-root-port
// (HOTPLUG_PORT_ARGS) and plugs the NIC there.
import { execFile } from 'node:child_process';
import net from 'node:net';
import { promisify } from 'node:util';
import { freeTcpPort } from '../../engine/host/vm-files.ts';
import { BUSYBOX } from '../../test/helpers/scratch-image.ts';
import { timedMs, wgetLoop } from './http-server.ts';

const execFileP = promisify(execFile);
const MAC = '52:54:00:12:34:99';
const HOTPLUG_BUS = 'berth-hotplug';
const NIC_ADDRESS = '10.0.3.15';
/** Extra QEMU arguments for the bench's VM: a root port the candidate's NIC is hot-plugged into. */
export const HOTPLUG_PORT_ARGS = ['-device', `pcie-root-port,id=${HOTPLUG_BUS},chassis=9,bus=pcie.0`];

export interface CandidateVm {
  qmp(command: string, args?: Record<string, unknown>): Promise<unknown>;
  guestRun(command: string): Promise<string>;
}

/** A HEAD request, our side shut at once: the reply must still come (half-close kept). */
export function halfCloseReply(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => s.end('HEAD /big HTTP/1.0\r\n\r\n'));
    let got = '';
    const timer = setTimeout(() => {
      s.destroy();
      resolve('no reply in 20 s');
    }, 20_000);
    s.on('data', (d) => {
      got += d;
    });
    s.on('end', () => {
      clearTimeout(timer);
      resolve(got.split('\r\n')[0] ?? '');
    });
    s.on('error', (e) => {
      clearTimeout(timer);
      resolve(e.message);
    });
  });
}

/** Milliseconds for `times` downloads of the published file through QEMU's user network, and its half-close result; a string says why it was not measured. */
export async function userNetCandidate(
  vm: CandidateVm,
  guestPort: number,
  times: number,
): Promise<{ ms: number; halfClose: string } | string> {
  const hostPort = await freeTcpPort();
  try {
    await vm.qmp('netdev_add', {
      type: 'user',
      id: 'cand0',
      net: '10.0.3.0/24',
      host: '10.0.3.2',
      hostfwd: [{ str: `tcp:127.0.0.1:${hostPort}-${NIC_ADDRESS}:${guestPort}` }],
    });
    await vm.qmp('device_add', {
      driver: 'virtio-net-pci',
      netdev: 'cand0',
      id: 'candnic',
      mac: MAC,
      bus: HOTPLUG_BUS,
    });
  } catch (e) {
    return `QEMU: ${(e as Error).message}`;
  }
  try {
    await vm.guestRun(
      `for t in $(seq 50); do for i in /sys/class/net/*; do [ "$(cat $i/address)" = ${MAC} ] && n=\${i##*/}; done; [ -n "$n" ] && break; sleep 0.2; done; ip link set "$n" up && ip addr replace ${NIC_ADDRESS}/24 dev "$n"`,
    );
    const halfClose = await halfCloseReply(hostPort);
    const url = `http://127.0.0.1:${hostPort}/big`;
    const ms = timedMs(
      (await execFileP(BUSYBOX, ['sh', '-c', wgetLoop(url, times)], { encoding: 'utf8', timeout: 600_000 })).stderr,
    );
    return { ms, halfClose };
  } finally {
    await vm.qmp('device_del', { id: 'candnic' }).catch(() => '');
    await new Promise((r) => setTimeout(r, 1000));
    await vm.qmp('netdev_del', { id: 'cand0' }).catch(() => '');
  }
}
