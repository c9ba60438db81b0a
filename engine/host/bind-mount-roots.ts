// Which host folders the file-event watch covers: only what a running container can see change.
// A container sees a shared folder only through a bind mount, so the host watches the sources of
// the running containers' bind mounts that lie in a share (a folder: its whole tree; a file: its
// folder alone), follows docker's container events to add and drop them, and watches nothing
// while no container has one. Watching the whole share (a home directory of 100,000s of folders)
// took 6–10 s of the host's CPU at every start and most of the inotify budget, for nobody.
import type Docker from 'dockerode';
import { z } from 'zod';
import { within } from './file-sharing.ts';

/** A folder to watch: with every folder below it, or alone (the folder of a bind-mounted file). */
export interface WatchRoot {
  path: string;
  recursive: boolean;
}

const MountsSchema = z.array(
  z
    .object({
      Mounts: z.array(z.object({ Type: z.string().optional(), Source: z.string().optional() }).passthrough()).nullish(),
    })
    .passthrough(),
);

/**
 * The roots for a list of running containers (docker's /containers/json answer): bind sources in a
 * share, deduplicated, none inside a recursive other. isDir tells a folder from a file source.
 */
export function bindRoots(containers: unknown, shares: string[], isDir: (p: string) => boolean): WatchRoot[] {
  const sources = new Set<string>();
  for (const c of MountsSchema.parse(containers)) {
    for (const m of c.Mounts ?? []) {
      if (m.Type === 'bind' && m.Source && shares.some((s) => within(m.Source ?? '', s)))
        sources.add(m.Source.replace(/\/+$/, '') || '/');
    }
  }
  const roots = new Map<string, WatchRoot>();
  for (const src of sources) {
    const r: WatchRoot = isDir(src)
      ? { path: src, recursive: true }
      : { path: src.slice(0, src.lastIndexOf('/')) || '/', recursive: false };
    const had = roots.get(r.path);
    if (!had || (r.recursive && !had.recursive)) roots.set(r.path, r);
  }
  const all = [...roots.values()];
  return all
    .filter((r) => !all.some((o) => o !== r && o.recursive && within(r.path, o.path)))
    .sort((a, b) => a.path.localeCompare(b.path));
}

export interface ContainerBindsOptions {
  docker: () => Docker;
  shares: string[];
  isDir: (p: string) => boolean;
  onRoots: (roots: WatchRoot[]) => Promise<void> | void;
  log?: (line: string) => void;
  /** Wait before following docker again after its events stream ended (dockerd restarting, VM booting). */
  retryMs?: number;
}

/** Follows container start/die events and hands the roots over whenever they change. */
export class ContainerBinds {
  private stopped = false;
  private stream: (NodeJS.ReadableStream & { destroy?: () => void }) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private last = '';
  private busy: Promise<void> = Promise.resolve();
  private again = false;

  constructor(private readonly o: ContainerBindsOptions) {}

  start(): void {
    void this.follow();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.stream?.destroy?.();
  }

  /** Lists the running containers again (coalesced: one listing at a time, one more after it). */
  refresh(): Promise<void> {
    if (this.again) return this.busy;
    this.again = true;
    this.busy = this.busy
      .then(async () => {
        this.again = false;
        if (this.stopped) return;
        // Bounded: a request that hangs (dockerd restarting under it) must not hold every later one.
        const list = await Promise.race([
          this.o.docker().listContainers({ filters: { status: ['running'] } }),
          new Promise<never>((_, reject) =>
            setTimeout(() => reject(new Error('no answer within 15 s')), 15_000).unref(),
          ),
        ]);
        const roots = bindRoots(list, this.o.shares, this.o.isDir);
        const key = JSON.stringify(roots);
        if (key === this.last) return;
        this.last = key;
        await this.o.onRoots(roots);
      })
      .catch((e: Error) => {
        this.o.log?.(`file events: could not list the containers: ${e.message}`);
      });
    return this.busy;
  }

  private async follow(): Promise<void> {
    if (this.stopped) return;
    try {
      const stream = (await this.o.docker().getEvents({
        filters: { type: ['container'], event: ['start', 'die', 'destroy'] },
      })) as NodeJS.ReadableStream & { destroy?: () => void };
      if (this.stopped) {
        stream.destroy?.();
        return;
      }
      this.stream = stream;
      // Events come in whole JSON lines; any of them means: list again.
      stream.on('data', () => {
        void this.refresh();
      });
      const ended = new Promise<void>((r) => {
        stream.once('end', r);
        stream.once('close', r);
        stream.once('error', () => r());
      });
      // Listed after the stream is open, so a container started in between is not missed.
      await this.refresh();
      await ended;
    } catch {
      /* dockerd not (yet) answering */
    }
    this.stream = null;
    if (!this.stopped)
      this.timer = setTimeout(() => {
        this.timer = null;
        void this.follow();
      }, this.o.retryMs ?? 1000);
  }
}
