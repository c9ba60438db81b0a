// The VM's network through passt on a Linux host: QEMU's virtio-net is served by passt (over
// vhost-user, or a UNIX stream socket), and passt maps the guest's flows onto the host's own
// sockets. Its TCP keeps half-close, uses a 65520-byte MTU, and carries a publish at about three
// times QEMU's user network's speed (README, `npm run bench`). The guest keeps the user network's
// addresses: it is 10.0.2.15/24, 10.0.2.2 is the host's loopback, 10.0.2.3 its resolver.
// passt starts before QEMU, daemonizes into a session of its own (it outlives a crashed host, as
// QEMU does) and quits with the VM (`--one-off`: once QEMU closes its socket).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { commandLine, pidAlive, readPidFile } from './process-watch.ts';
import { GUEST_ADDRESS } from './port-specs.ts';
import type { PasstRuntime } from './passt-runtime.ts';
import type { NetworkLink } from './qemu-vm.ts';

/** The guest's MTU on the passt link: passt's own default, the largest 802.3 frame allows. */
export const PASST_MTU = 65520;

export interface PasstPaths {
  /** The socket QEMU's netdev connects to. */
  socket: string;
  /** passt's configuration socket, where pesto changes the forward table. */
  control: string;
  pidFile: string;
  logFile: string;
}

/** The files of the VM's passt: sockets in the run dir (owner-only), its log beside QEMU's. */
export function passtPaths(runDir: string, logsDir: string): PasstPaths {
  return {
    socket: path.join(runDir, 'passt.sock'),
    control: path.join(runDir, 'passt.ctl'),
    pidFile: path.join(runDir, 'passt.pid'),
    logFile: path.join(logsDir, 'passt.log'),
  };
}

/** The forward that reaches the guest's SSH server, as passt spells a forward. */
export function sshForward(sshPort: number): string {
  return `127.0.0.1/${sshPort}:${GUEST_ADDRESS}/22`;
}

/**
 * How QEMU's NIC reaches passt: vhost-user (the default: passt reads the guest's rings itself, the
 * guest's RAM shared as for virtiofs, so QEMU's main thread, the stream's bottleneck under TCG,
 * copies no frame), or frames over a UNIX stream (BERTH_PASST_MODE=stream). QEMU 7.2 (bookworm's)
 * crashes (SIGSEGV) once the guest's driver sets up a vhost-user NIC, so QEMU before 10, the first
 * one measured with it, gets the stream.
 */
export type PasstMode = 'stream' | 'vhost-user';

export function passtMode(env: NodeJS.ProcessEnv = process.env, qemuVersion?: string): PasstMode {
  if (env.BERTH_PASST_MODE === 'stream' || env.BERTH_PASST_MODE === 'vhost-user') return env.BERTH_PASST_MODE;
  return Number(qemuVersion?.split('.')[0]) >= 10 ? 'vhost-user' : 'stream';
}

/** passt's command line: IPv4 only, the user network's addresses, the SSH forward. */
export function passtArgs(p: PasstPaths, sshPort: number, mode: PasstMode = 'stream'): string[] {
  return [
    ...(mode === 'vhost-user' ? ['--vhost-user'] : []),
    '--quiet',
    '--ipv4-only',
    '--one-off',
    '--socket',
    p.socket,
    '--conf-path',
    p.control,
    '--pid',
    p.pidFile,
    '--log-file',
    p.logFile,
    '--address',
    GUEST_ADDRESS,
    '--netmask',
    '24',
    '--gateway',
    '10.0.2.2',
    '--map-host-loopback',
    '10.0.2.2',
    '--dns-forward',
    '10.0.2.3',
    '--no-dhcp',
    '--tcp-ports',
    sshForward(sshPort),
    '--udp-ports',
    'none',
  ];
}

/** Whether `pid` is a passt (not a pid reused by another program since). */
function isPasst(pid: number): boolean {
  return pidAlive(pid) && (commandLine(pid)?.some((a) => a.includes('passt')) ?? false);
}

/** The running passt of these paths, or null. */
export function passtPid(p: PasstPaths): number | null {
  const pid = readPidFile(p.pidFile);
  return pid !== null && isPasst(pid) ? pid : null;
}

/** Ends a passt these paths name: one whose QEMU never connected still waits for it. */
export function stopPasst(p: PasstPaths): void {
  const pid = passtPid(p);
  if (pid !== null) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* gone already */
    }
  }
  for (const f of [p.socket, p.control, p.pidFile]) fs.rmSync(f, { force: true });
}

/**
 * Starts passt and resolves once its socket is bound: passt forks into the background when it is
 * ready, so its first process exits 0 then. Rejects with passt's own words when it cannot start
 * (no user namespaces, a taken SSH port), and the VM keeps QEMU's user network.
 */
export async function startPasst(rt: PasstRuntime, p: PasstPaths, sshPort: number, mode: PasstMode): Promise<number> {
  stopPasst(p);
  const log = fs.openSync(p.logFile, 'w', 0o600);
  const child = spawn(rt.passt, passtArgs(p, sshPort, mode), { stdio: ['ignore', 'ignore', log], detached: true });
  fs.closeSync(log);
  const code = await new Promise<number | string>((resolve) => {
    child.once('error', (e) => resolve(e.message));
    child.once('exit', (c, s) => resolve(c ?? String(s)));
  });
  const pid = passtPid(p);
  if (code !== 0 || pid === null) {
    const words = fs.existsSync(p.logFile) ? fs.readFileSync(p.logFile, 'utf8').trim().split('\n').slice(-3) : [];
    stopPasst(p);
    throw new Error(`passt did not start (${code}): ${words.join(' / ') || 'no message'}`);
  }
  // Bound under the process's umask: owner-only, like every socket of Berth's.
  for (const f of [p.socket, p.control]) fs.chmodSync(f, 0o600);
  return pid;
}

/** passt as the VM's network link (qemu-vm.ts): started before QEMU, found again by an adopting host. */
export function passtLink(rt: PasstRuntime, p: PasstPaths, sshPort: number, mode: PasstMode): NetworkLink {
  return {
    name: `passt ${rt.version}${mode === 'vhost-user' ? ' (vhost-user)' : ''}`,
    start: async () => {
      await startPasst(rt, p, sshPort, mode);
      return { kind: mode, socket: p.socket, mtu: PASST_MTU };
    },
    alive: () => passtPid(p) !== null,
    stop: () => stopPasst(p),
  };
}
