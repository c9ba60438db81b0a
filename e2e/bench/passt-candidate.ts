// A candidate path for published ports, measured beside the chosen one (QEMU's user network):
// passt (BERTH_BENCH_PASST: a passt command; else forky's, unpacked into Berth's cache with its
// own loader by debian-tool.ts), on a second NIC hot-plugged into the running VM over QMP (a
// `stream` netdev on passt's UNIX socket, which HMP's netdev_add cannot spell), forwarding one host port to the VM's address
// on that NIC, where dockerd's proxy listens for a wildcard publish. Only a measurement: Berth does
// not ship it. The q35 machine's root bus takes no hot-plugged device, so the bench boots the VM
// with a spare pcie-root-port (HOTPLUG_PORT_ARGS) and plugs the NIC there.
import { execFile, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { type DebianTool, fetchTool } from '../../engine/host/debian-tool.ts';
import { freeTcpPort } from '../../engine/host/vm-files.ts';
import { BUSYBOX } from '../../test/helpers/scratch-image.ts';
import { timedMs, wgetLoop } from './http-server.ts';

const execFileP = promisify(execFile);
const MAC = '52:54:00:12:34:99';
const HOTPLUG_BUS = 'berth-hotplug';
/** Extra QEMU arguments for the bench's VM: a root port the candidate's NIC is hot-plugged into. */
export const HOTPLUG_PORT_ARGS = ['-device', `pcie-root-port,id=${HOTPLUG_BUS},chassis=9,bus=pcie.0`];

/** forky's passt: newer than bookworm's 2023 build, linked to libc alone. */
const PASST: DebianTool = {
  name: 'passt',
  suite: 'forky',
  packages: ['passt', 'libc6'],
  libs: ['ld-linux-x86-64.so.2', 'libc.so.6'],
  // passt re-executes its AVX2 build from /usr/bin, which this host lacks: run that build directly.
  programs: { passt: ['usr/bin/passt.avx2', 'usr/bin/passt'], pesto: ['usr/bin/pesto'] },
  versionArgs: ['--version'],
};

/** BERTH_BENCH_PASST, else forky's passt from the cache (fetched once); a string says why there is none. */
function passtCommand(): { command: string } | string {
  if (process.env.BERTH_BENCH_PASST) return { command: process.env.BERTH_BENCH_PASST };
  try {
    return { command: path.join(fetchTool(PASST).dir, PASST.name) };
  } catch (e) {
    return `no passt to run (forky's could not be fetched: ${(e as Error).message})`;
  }
}

export interface CandidateVm {
  qmp(command: string, args?: Record<string, unknown>): Promise<unknown>;
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
  const found = passtCommand();
  if (typeof found === 'string') return found;
  const { command } = found;
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
  // The forward is added at run time through passt's configuration socket, as Berth would for each publish.
  const ctl = path.join(dir, 'passt.ctl');
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
      '-c',
      ctl,
      '-t',
      'none',
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
    try {
      await vm.qmp('netdev_add', { type: 'stream', id: 'passt0', server: false, addr: { type: 'unix', path: sock } });
      await vm.qmp('device_add', {
        driver: 'virtio-net-pci',
        netdev: 'passt0',
        id: 'passtnic',
        mac: MAC,
        bus: HOTPLUG_BUS,
      });
    } catch (e) {
      return `QEMU: ${(e as Error).message}`;
    }
    await vm.guestRun(
      `for t in $(seq 50); do for i in /sys/class/net/*; do [ "$(cat $i/address)" = ${MAC} ] && n=\${i##*/}; done; [ -n "$n" ] && break; sleep 0.2; done; ip link set "$n" mtu 65520 up && ip addr replace 10.0.3.15/24 dev "$n"`,
    );
    const pesto = path.join(path.dirname(command), 'pesto');
    if (!fs.existsSync(pesto)) return `no pesto beside ${command}: run-time forwards cannot be added`;
    const added = spawnSync(pesto, ['-A', '-t', `127.0.0.1/${hostPort}:${guestPort}`, ctl], { encoding: 'utf8' });
    if (added.status !== 0) return `pesto did not add the forward: ${(added.stderr || added.stdout).trim()}`;
    const halfClose = await halfCloseReply(hostPort);
    const url = `http://127.0.0.1:${hostPort}/big`;
    const ms = timedMs(
      (await execFileP(BUSYBOX, ['sh', '-c', wgetLoop(url, times)], { encoding: 'utf8', timeout: 600_000 })).stderr,
    );
    return { ms, halfClose, version };
  } finally {
    await vm.qmp('device_del', { id: 'passtnic' }).catch(() => '');
    await new Promise((r) => setTimeout(r, 1000));
    await vm.qmp('netdev_del', { id: 'passt0' }).catch(() => '');
    passt.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
