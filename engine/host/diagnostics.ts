// `berth diagnose`: one archive with what a bug report needs (host and console logs, the guest
// journal of the engine units, docker info, daemon.json, settings, the start timeline, versions).
// Keys and tokens never go in: the keys dir is never read, and every text is scrubbed of the
// secrets the caller names, of URL credentials, tokens in URLs and private-key blocks.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import type { DataDir } from './paths.ts';
import type { EngineStatus } from './engine-types.ts';
import type { GuestLink } from './guest-link.ts';
import { EARLY_SET_UP_LOG } from './guest-timeline.ts';
import { selectQemu } from './qemu-runtime.ts';

export interface DiagnosticsInput {
  data: DataDir;
  status: EngineStatus;
  /** The running guest, when there is one: its journal, docker info and daemon.json. */
  guest: GuestLink | null;
  /** The settings as the host holds them. */
  settings?: unknown;
  /** Values that must not appear anywhere in the archive (the dashboard token, …). */
  secrets?: string[];
  /** The archive to write (.tar.gz, mode 0600). */
  out: string;
}

const GUEST_FILES: Array<[string, string]> = [
  [
    'guest/journal.txt',
    'journalctl -b --no-pager -o short-monotonic -u berth-init -u berth-late -u berth-net -u containerd -u docker -u berth-agent-fetch -u berth-agent | tail -n 5000',
  ],
  // The set-up that runs from the initramfs, before journald, and the parts it did.
  ['guest/early-set-up.txt', `${EARLY_SET_UP_LOG}; ls /run/berth-early`],
  ['guest/docker-info.txt', 'docker info 2>&1'],
  ['guest/daemon.json', 'cat /etc/docker/daemon.json'],
  [
    'guest/boot.txt',
    'systemd-analyze; systemd-analyze blame | head -n 30; systemd-analyze critical-chain docker.service',
  ],
  ['guest/system.txt', 'uname -a; free -m; df -h /mnt/data; cat /proc/cpuinfo | grep -m1 "model name"'],
];

/** Removes secrets from a text: named values, URL credentials, tokens in URLs, private keys. */
export function scrub(text: string, secrets: string[] = []): string {
  let out = text;
  for (const s of secrets) if (s.length >= 6) out = out.split(s).join('<redacted>');
  return out
    .replace(/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, '<private key redacted>')
    .replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+:[^/\s@]+@/gi, '$1<redacted>@')
    .replace(/([?&](?:token|access_token|auth|password)=)[^&\s"']+/gi, '$1<redacted>');
}

function tail(file: string, maxBytes = 2 * 1024 * 1024): string | null {
  try {
    const size = fs.statSync(file).size;
    const fd = fs.openSync(file, 'r');
    const buf = Buffer.alloc(Math.min(size, maxBytes));
    fs.readSync(fd, buf, 0, buf.length, size - buf.length);
    fs.closeSync(fd);
    return buf.toString('utf8');
  } catch {
    return null;
  }
}

/** Gathers everything and writes the archive; returns the names of the files in it. */
export async function writeDiagnostics(i: DiagnosticsInput): Promise<string[]> {
  const files = new Map<string, string>();
  files.set('status.json', JSON.stringify(i.status, null, 2));
  // Which QEMU this host would boot now, and why (the running VM's is in status.json's versions).
  const qemu = selectQemu();
  files.set(
    'host.json',
    JSON.stringify(
      {
        platform: process.platform,
        arch: process.arch,
        node: process.version,
        qemu,
        created: new Date().toISOString(),
      },
      null,
      2,
    ),
  );
  if (i.settings !== undefined) files.set('settings.json', JSON.stringify(i.settings, null, 2));
  for (const [name, file] of [
    ['logs/host.log', i.data.hostLog],
    ['logs/console.log', i.data.consoleLog],
    ['logs/console.previous.log', i.data.previousConsoleLog],
    ['logs/virtiofsd.log', path.join(i.data.logsDir, 'virtiofsd.log')],
    // The VM's network: a forward passt could not bind is said only there.
    ['logs/passt.log', path.join(i.data.logsDir, 'passt.log')],
  ] as const) {
    const text = tail(file);
    if (text !== null) files.set(name, text);
  }
  if (i.guest) {
    const guest = i.guest;
    // The guest's answers are gathered together; one that fails says so in its own file.
    await Promise.all(
      GUEST_FILES.map(async ([name, cmd]) => {
        const r = await guest
          .exec(cmd, { timeoutMs: 30_000 })
          .catch((e: Error) => ({ code: -1, stdout: '', stderr: e.message }));
        files.set(name, r.code === 0 ? r.stdout : `${r.stdout}\n(exit ${r.code}) ${r.stderr}`);
      }),
    );
  } else {
    files.set(
      'guest/not-running.txt',
      `The engine was ${i.status.state} when this archive was made: no guest journal.\n`,
    );
  }
  const pack = tar.pack();
  const mtime = new Date();
  for (const [name, text] of files)
    pack.entry({ name: `berth-diagnostics/${name}`, mode: 0o600, mtime }, scrub(text, i.secrets));
  pack.finalize();
  fs.mkdirSync(path.dirname(i.out), { recursive: true });
  await pipeline(pack, zlib.createGzip(), fs.createWriteStream(i.out, { mode: 0o600 }));
  return [...files.keys()];
}

/** Where an archive goes when no path is asked for: the data dir's logs, named by the time. */
export function defaultDiagnosticsFile(data: DataDir, now = new Date()): string {
  return path.join(data.logsDir, `berth-diagnostics-${now.toISOString().replace(/[:.]/g, '-')}.tar.gz`);
}
