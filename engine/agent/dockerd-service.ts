// dockerd as a systemd service: restart it and report why it failed in its own words.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { dockerStreams } from './docker-streams.ts';

const run = promisify(execFile);

export async function systemctl(...args: string[]): Promise<void> {
  await run('systemctl', args, { timeout: 600_000 });
}

/** Restarts dockerd; `systemctl restart` on a Type=notify unit returns once dockerd is ready. */
export async function restartDockerd(): Promise<void> {
  try {
    await dockerStreams.duringRestart(() => systemctl('restart', 'docker.service'));
  } catch {
    throw new Error(await dockerdFailure());
  }
}

/** dockerd's own last error from the journal ("failed to start daemon: …", "unable to configure …"). */
export async function dockerdFailure(): Promise<string> {
  try {
    const { stdout } = await run('journalctl', ['-u', 'docker.service', '-n', '40', '-o', 'cat', '--no-pager']);
    const lines = stdout.split('\n').map((l) => l.trim()).filter(Boolean);
    const own = lines.filter((l) => /failed to start daemon|unable to configure|level=(fatal|error)/i.test(l));
    const pick = own.pop() ?? lines.filter((l) => !l.startsWith('docker.service:')).pop();
    if (pick) return pick.replace(/^time="[^"]*" level=\w+ msg=/, '').replace(/^"|"$/g, '');
  } catch { /* fall through */ }
  return 'dockerd failed to start (no message in its journal)';
}
