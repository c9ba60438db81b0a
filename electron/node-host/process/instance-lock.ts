// One Berth host per data dir: a pid file taken with O_EXCL, reclaimed when its owner is dead.
import fs from 'node:fs';
import { pidAlive } from '../../../engine/host/process-watch.ts';

/** The data dir already has a host: talk to that one. */
export class HostLockedError extends Error {
  constructor(readonly pid: number) {
    super(`another Berth host (pid ${pid}) already runs for this data dir`);
  }
}

export function acquireLock(file: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx', 0o600);
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      // Two hosts that both found the same dead owner may both have removed its file: one file stays.
      if (fs.readFileSync(file, 'utf8') !== String(process.pid)) continue;
      return () => {
        try {
          if (fs.readFileSync(file, 'utf8') === String(process.pid)) fs.rmSync(file);
        } catch {
          /* gone */
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number(fs.readFileSync(file, 'utf8'));
      if (pidAlive(owner)) throw new HostLockedError(owner);
      fs.rmSync(file, { force: true });
    }
  }
  throw new Error(`could not take the instance lock ${file}`);
}
