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

/**
 * Starts dockerd (a no-op wait when the boot already did) and resolves once it is ready. A data
 * disk that berth-init refused keeps dockerd from starting: that refusal is the reason given.
 */
export async function startDockerd(): Promise<{ waitedMs: number }> {
  const t0 = Date.now();
  try {
    await systemctl('start', 'docker.service');
  } catch {
    const refused = await berthInitRefusal();
    throw refused ? refusedDiskError(refused) : new Error(`dockerd did not start: ${await dockerdFailure()}`);
  }
  return { waitedMs: Date.now() - t0 };
}

/** How berth-init begins the line that says why it refused the data disk (journal and console). */
export const BERTH_INIT_ERROR = 'berth-init: error: ';

/** What a start reports when berth-init refused the data disk, whoever read its words. */
export function refusedDiskError(words: string): Error {
  return new Error(`the VM did not start the engine: ${words}`);
}

/** berth-init's "error:" line of this boot (it refused the data disk), if any. */
async function berthInitRefusal(): Promise<string | null> {
  try {
    const { stdout } = await run('journalctl', ['-u', 'berth-init.service', '-b', '--no-pager', '-o', 'cat']);
    const line = stdout
      .split('\n')
      .filter((l) => l.startsWith(BERTH_INIT_ERROR))
      .pop();
    return line ? line.slice(BERTH_INIT_ERROR.length).trim() : null;
  } catch {
    return null;
  }
}

/** dockerd's own last error from the journal ("failed to start daemon: …", "unable to configure …"). */
export async function dockerdFailure(): Promise<string> {
  try {
    const { stdout } = await run('journalctl', ['-u', 'docker.service', '-n', '40', '-o', 'cat', '--no-pager']);
    const lines = stdout
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    const own = lines.filter((l) => /failed to start daemon|unable to configure|level=(fatal|error)/i.test(l));
    const pick = own.pop() ?? lines.filter((l) => !l.startsWith('docker.service:')).pop();
    if (pick) return pick.replace(/^time="[^"]*" level=\w+ msg=/, '').replace(/^"|"$/g, '');
  } catch {
    /* fall through */
  }
  return 'dockerd failed to start (no message in its journal)';
}
