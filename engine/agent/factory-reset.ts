// Factory reset inside the VM: engine down, both stores, containers and volumes gone, default
// daemon.json (containerd store on), engine up again.
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { systemctl } from './dockerd-service.ts';
import { dockerStreams } from './docker-streams.ts';
import { DAEMON_JSON } from './store-switch.ts';

const run = promisify(execFile);
const STATE_DIRS = ['/var/lib/docker', '/var/lib/containerd'];
const DEFAULT_DAEMON_JSON = '/usr/share/berth/daemon.json';

/** Must run inside exclusive(). */
export async function factoryReset(progress: (msg: string) => void): Promise<void> {
  progress('stopping the engine');
  await dockerStreams.duringRestart(() => systemctl('stop', 'docker.socket', 'docker.service', 'containerd.service'));
  await run('pkill', ['-9', '-f', 'containerd-shim']).catch(() => undefined);
  progress('unmounting container filesystems');
  for (const m of mountsUnder([...STATE_DIRS, '/run/containerd', '/run/docker'])) {
    await run('umount', ['-l', m]).catch(() => undefined);
  }
  progress('deleting both image stores, containers and volumes');
  for (const dir of STATE_DIRS) {
    for (const entry of fs.readdirSync(dir)) fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
  }
  fs.copyFileSync(DEFAULT_DAEMON_JSON, DAEMON_JSON);
  progress('starting the engine');
  await systemctl('start', 'containerd.service', 'docker.service');
}

/** Mount points strictly below the given roots, deepest first (the roots are our bind mounts). */
function mountsUnder(roots: string[]): string[] {
  const points = fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p): p is string => !!p)
    .filter((p) => roots.some((r) => p.startsWith(`${r}/`)));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}
