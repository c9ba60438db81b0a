// The rejected paths for published ports, measured beside the chosen one (the VM's network): each
// on a second NIC hot-plugged into the running VM over QMP, on a subnet of its own, with one host
// forward to the VM's address on that NIC, where dockerd's proxy listens for a wildcard publish.
// QEMU's user network (a `user` netdev), and passt over a UNIX stream (a second passt, the mode
// the VM's own passt takes on QEMU before 10) where the VM's NIC is passt over vhost-user. Only a
// measurement. The q35 machine's root bus takes no hot-plugged device, so the bench boots the VM
// with spare pcie-root-ports (HOTPLUG_PORT_ARGS) and plugs each NIC into one of its own.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freeTcpPort } from '../../engine/host/vm-files.ts';
import { BUSYBOX } from '../../test/helpers/scratch-image.ts';
import { timedMs, wgetLoop } from './http-server.ts';

const execFileP = promisify(execFile);
const BUSES = ['berth-hotplug0', 'berth-hotplug1'];
/** Extra QEMU arguments for the bench's VM: root ports the candidates' NICs are hot-plugged into. */
export const HOTPLUG_PORT_ARGS = BUSES.flatMap((bus, i) => [
  '-device',
  `pcie-root-port,id=${bus},chassis=${9 + i},bus=pcie.0`,
]);

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

export type CandidateResult = { ms: number; halfClose: string } | string;

interface Nic {
  /** The netdev_add arguments (its id is the candidate's). */
  netdev: Record<string, unknown> & { id: string };
  device?: Record<string, unknown>;
  /** The guest's address on this NIC's subnet. */
  address: string;
  mac: string;
  bus: string;
  hostPort: number;
}

/** Milliseconds for `times` downloads of the published file through a hot-plugged NIC, and its half-close result; a string says why it was not measured. */
async function throughNic(vm: CandidateVm, nic: Nic, times: number): Promise<CandidateResult> {
  const dev = `${nic.netdev.id}-nic`;
  try {
    await vm.qmp('netdev_add', nic.netdev);
    await vm.qmp('device_add', {
      driver: 'virtio-net-pci',
      netdev: nic.netdev.id,
      id: dev,
      mac: nic.mac,
      bus: nic.bus,
      ...nic.device,
    });
  } catch (e) {
    return `QEMU: ${(e as Error).message}`;
  }
  try {
    await vm.guestRun(
      `for t in $(seq 50); do for i in /sys/class/net/*; do [ "$(cat $i/address)" = ${nic.mac} ] && n=\${i##*/}; done; [ -n "$n" ] && break; sleep 0.2; done; ip link set "$n" up && ip addr replace ${nic.address}/24 dev "$n"`,
    );
    const halfClose = await halfCloseReply(nic.hostPort);
    const url = `http://127.0.0.1:${nic.hostPort}/big`;
    const ms = timedMs(
      (await execFileP(BUSYBOX, ['sh', '-c', wgetLoop(url, times)], { encoding: 'utf8', timeout: 600_000 })).stderr,
    );
    return { ms, halfClose };
  } finally {
    await vm.qmp('device_del', { id: dev }).catch(() => '');
    await new Promise((r) => setTimeout(r, 1000));
    await vm.qmp('netdev_del', { id: nic.netdev.id }).catch(() => '');
  }
}

/** QEMU's user network: a host forward to the guest's address on 10.0.3.0/24. */
export async function userNetCandidate(vm: CandidateVm, guestPort: number, times: number): Promise<CandidateResult> {
  const hostPort = await freeTcpPort();
  const address = '10.0.3.15';
  return throughNic(
    vm,
    {
      netdev: {
        type: 'user',
        id: 'cand-user',
        net: '10.0.3.0/24',
        host: '10.0.3.2',
        hostfwd: [{ str: `tcp:127.0.0.1:${hostPort}-${address}:${guestPort}` }],
      },
      address,
      mac: '52:54:00:12:34:99',
      bus: BUSES[0] ?? '',
      hostPort,
    },
    times,
  );
}

/** passt over a UNIX stream (a passt of its own on 10.0.4.0/24, the guest's MTU passt's 65520). */
export async function passtStreamCandidate(
  vm: CandidateVm,
  passt: string,
  guestPort: number,
  times: number,
): Promise<CandidateResult> {
  const hostPort = await freeTcpPort();
  const address = '10.0.4.15';
  // passt drops to nobody when started as root: its folder must let it bind there.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-passt-'));
  fs.chmodSync(dir, 0o777);
  const socket = path.join(dir, 'passt.sock');
  const args = ['--quiet', '--ipv4-only', '--one-off', '--socket', socket, '--pid', path.join(dir, 'pid')];
  args.push('--address', address, '--netmask', '24', '--gateway', '10.0.4.2', '--no-dhcp');
  args.push('--tcp-ports', `127.0.0.1/${hostPort}:${address}/${guestPort}`, '--udp-ports', 'none');
  const started = await new Promise<number | string>((resolve) => {
    const child = spawn(passt, args, { stdio: 'ignore' });
    child.once('error', (e) => resolve(e.message));
    child.once('exit', (c, sig) => resolve(c ?? String(sig)));
  });
  if (started !== 0) return `passt did not start (${started})`;
  try {
    return await throughNic(
      vm,
      {
        netdev: { type: 'stream', id: 'cand-passt', server: false, addr: { type: 'unix', path: socket } },
        device: { host_mtu: 65520 },
        address,
        mac: '52:54:00:12:34:98',
        bus: BUSES[1] ?? '',
        hostPort,
      },
      times,
    );
  } finally {
    // --one-off: it ended when QEMU let go of its socket; a passt QEMU never reached is ended here.
    try {
      process.kill(Number(fs.readFileSync(path.join(dir, 'pid'), 'utf8').trim()), 'SIGTERM');
    } catch {
      /* gone already */
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
