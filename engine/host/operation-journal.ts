// What the host is in the middle of (run/operation.json, 0600): a store switch, a daemon.json
// change, a migration, a reclaim, a VM restart. Written before the work starts and removed when it
// ends, however it ends; a host that finds one left by a dead host knows the work was cut off,
// finishes or checks it, and tells the next command what happened.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { DataDir } from './paths.ts';
import { pidAlive } from './process-watch.ts';

export const OperationSchema = z.object({
  kind: z.enum(['switch', 'engine-config', 'migrate', 'reclaim', 'vm-restart']),
  /** The store the operation was for (a switch's target, a reclaim's hidden store). */
  store: z.enum(['containerd', 'classic']).optional(),
  hostPid: z.number().int(),
  startedAt: z.string(),
});
export type Operation = z.infer<typeof OperationSchema>;
export type OperationStart = Pick<Operation, 'kind' | 'store'>;

const STORE = { containerd: 'the containerd store', classic: 'the classic store' } as const;

/** The operation in words: "a switch to the classic store". */
export function describeOperation(op: OperationStart): string {
  const store = op.store ? STORE[op.store] : 'the image store';
  switch (op.kind) {
    case 'switch':
      return `a switch to ${store}`;
    case 'engine-config':
      return 'a Docker Engine configuration change';
    case 'migrate':
      return 'a migration of the classic images into the containerd store';
    case 'reclaim':
      return `a reclaim of ${store}`;
    case 'vm-restart':
      return 'a VM restart';
  }
}

export class OperationJournal {
  constructor(private readonly data: DataDir) {}

  private get file(): string {
    return path.join(this.data.runDir, 'operation.json');
  }

  /** Runs fn with the operation written down; an operation inside another keeps the outer one. */
  async run<T>(op: OperationStart, fn: () => Promise<T>): Promise<T> {
    if (this.current()?.hostPid === process.pid) return fn();
    const record: Operation = { ...op, hostPid: process.pid, startedAt: new Date().toISOString() };
    fs.mkdirSync(this.data.runDir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(`${this.file}.tmp`, JSON.stringify(record), { mode: 0o600 });
    fs.renameSync(`${this.file}.tmp`, this.file);
    try {
      return await fn();
    } finally {
      fs.rmSync(this.file, { force: true });
    }
  }

  private current(): Operation | null {
    try {
      const r = OperationSchema.safeParse(JSON.parse(fs.readFileSync(this.file, 'utf8')));
      return r.success ? r.data : null;
    } catch {
      return null;
    }
  }

  /** An operation a host that is gone left unfinished, removed from the journal; null when none. */
  takeInterrupted(): Operation | null {
    const op = this.current();
    if (!op || op.hostPid === process.pid || pidAlive(op.hostPid)) return null;
    fs.rmSync(this.file, { force: true });
    return op;
  }
}
