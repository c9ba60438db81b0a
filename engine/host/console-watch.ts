// Waits for a line on the VM's serial console (the console log QEMU writes), without polling:
// the file is read from where the last read ended each time it changes. Used where the guest has
// no other way to speak yet, e.g. berth-init refusing the data disk before any agent can run.
import fs from 'node:fs';

export interface ConsoleWatch {
  found: Promise<RegExpExecArray>;
  stop(): void;
}

export function watchConsoleFor(file: string, pattern: RegExp): ConsoleWatch {
  let watcher: fs.FSWatcher | null = null;
  let offset = 0;
  let partial = '';
  let settle: ((m: RegExpExecArray) => void) | null = null;
  const found = new Promise<RegExpExecArray>((resolve) => {
    settle = resolve;
  });
  const stop = (): void => {
    watcher?.close();
    watcher = null;
    settle = null;
  };
  const scan = (): void => {
    if (!settle) return;
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch {
      return;
    }
    try {
      const size = fs.fstatSync(fd).size;
      if (size < offset) {
        offset = 0;
        partial = '';
      } // a new console file
      if (size === offset) return;
      const buf = Buffer.alloc(size - offset);
      fs.readSync(fd, buf, 0, buf.length, offset);
      offset = size;
      const lines = (partial + buf.toString('utf8')).split(/\r?\n/);
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const m = pattern.exec(line);
        if (m && settle) {
          const done = settle;
          stop();
          done(m);
          return;
        }
      }
    } finally {
      fs.closeSync(fd);
    }
  };
  try {
    watcher = fs.watch(file, scan);
  } catch {
    /* no console file: nothing will be found */
  }
  scan();
  return { found, stop };
}
