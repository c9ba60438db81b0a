// A candidate path for published ports, measured beside the chosen one (QEMU's user network):
// passt (BERTH_BENCH_PASST: a passt command, e.g. a wrapper running forky's build with its own
// loader; else Debian's installed one), on a second NIC hot-plugged into the running VM over the
// monitor (a `stream` netdev on passt's UNIX socket), forwarding one host port to the VM's address
// on that NIC, where dockerd's proxy listens for a wildcard publish. Only a measurement: Berth does
// not ship it. The q35 machine's root bus takes no hot-plugged device, so the bench boots the VM
// with a spare pcie-root-port (HOTPLUG_PORT_ARGS) and plugs the NIC there.
import { execFile, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freeTcpPort } from '../../engine/host/vm-files.ts';
import { BUSYBOX } from '../../test/helpers/scratch-image.ts';
import { timedMs, wgetLoop } from './http-server.ts';

const execFileP = promisify(execFile);
const MAC = '52:54:00:12:34:99';
const HOTPLUG_BUS = 'berth-hotplug';
/** Extra QEMU arguments for the bench's VM: a root port the candidate's NIC is hot-plugged into. */
export const HOTPLUG_PORT_ARGS = ['-device', `pcie-root-port,id=${HOTPLUG_BUS},chassis=9,bus=pcie.0`];

export interface CandidateVm {
  hmp(command: string): Promise<string>;
  guestRun(command: string): Promise<string>;
}

/** A HEAD request, our side shut at once: the reply must still come (half-close kept). */
function halfCloseReply(port: number): Promise<string> {
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

/** Milliseconds for `times` downloads of the published file through passt, and its half-close result; null with the reason when passt is missing or fails. */
export async function passtCandidate(
  vm: CandidateVm,
  guestPort: number,
  times: number,
): Promise<{ ms: number; halfClose: string; version: string } | string> {
  const command = process.env.BERTH_BENCH_PASST || 'passt';
  const v = spawnSync(command, ['--version'], { encoding: 'utf8' });
  const version = (v.stdout ?? '')
    .split('\n')[0]
    ?.replace(/^passt\s*/, '')
    .trim();
  if (v.status !== 0 || !version) return `no passt to run (${command}: ${v.error?.message ?? v.stderr?.trim()})`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-passt-'));
  // passt drops to nobody before it binds its socket: the folder must let it.
  fs.chmodSync(dir, 0o777);
  const sock = path.join(dir, 'passt.sock');
  const hostPort = await freeTcpPort();
  const passt = spawn(
    command,
    [
      '-f',
      '-q',
      '-4',
      '-s',
      sock,
      '-a',
      '10.0.3.15',
      '-n',
      '24',
      '-g',
      '10.0.3.2',
      '--no-dhcp',
      '-t',
      `127.0.0.1/${hostPort}:${guestPort}`,
      '-u',
      'none',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  passt.stderr.on('data', (d: Buffer) => {
    err += d;
  });
  try {
    for (let i = 0; i < 200 && !fs.existsSync(sock); i++) await new Promise((r) => setTimeout(r, 100));
    if (!fs.existsSync(sock)) return `passt did not start: ${err.trim()}`;
    const out =
      (await vm.hmp(`netdev_add stream,id=passt0,server=off,addr.type=unix,addr.path=${sock}`)) +
      (await vm.hmp(`device_add virtio-net-pci,netdev=passt0,id=passtnic,mac=${MAC},bus=${HOTPLUG_BUS}`));
    if (out.trim()) return `QEMU: ${out.trim()}`;
    await vm.guestRun(
      `for t in $(seq 50); do for i in /sys/class/net/*; do [ "$(cat $i/address)" = ${MAC} ] && n=\${i##*/}; done; [ -n "$n" ] && break; sleep 0.2; done; ip link set "$n" up && ip addr replace 10.0.3.15/24 dev "$n"`,
    );
    const halfClose = await halfCloseReply(hostPort);
    const url = `http://127.0.0.1:${hostPort}/big`;
    const ms = timedMs(
      (await execFileP(BUSYBOX, ['sh', '-c', wgetLoop(url, times)], { encoding: 'utf8', timeout: 600_000 })).stderr,
    );
    return { ms, halfClose, version };
  } finally {
    await vm.hmp('device_del passtnic').catch(() => '');
    await new Promise((r) => setTimeout(r, 1000));
    await vm.hmp('netdev_del passt0').catch(() => '');
    passt.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
