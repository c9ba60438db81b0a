// Pushes every change to connected clients as it happens: engine status and start stages, the
// engine's own `docker events` stream (re-listing what changed), store and settings events.
// Nothing polls: the only timers are the coalescing of event bursts and the reconnect backoff
// while dockerd restarts.
import type { EngineStatus, StartStage } from '../../../engine/host/engine-types.ts';
import type { Broadcast } from '../api/client-context.ts';
import type { DashboardServices } from './services.ts';

const COALESCE_MS = 120;
const RECONNECT_MS = 1000;

export class EventHub {
  private stopWatch: (() => void) | null = null;
  private pending = new Set<'container' | 'image'>();
  private flushTimer: NodeJS.Timeout | null = null;
  private flushing = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private cleanups: Array<() => void> = [];
  private closed = false;

  constructor(
    private readonly s: DashboardServices,
    private readonly broadcast: Broadcast,
  ) {}

  start(): void {
    const onStatus = (st: EngineStatus): void => {
      this.broadcast('engine.status', st);
      if (st.state === 'running') this.ensureWatch();
      else this.dropWatch();
    };
    const onStage = (st: StartStage): void => this.broadcast('engine.stage', st);
    this.s.engine.on('status', onStatus);
    this.s.engine.on('stage', onStage);
    this.cleanups.push(() => {
      this.s.engine.off('status', onStatus);
      this.s.engine.off('stage', onStage);
    });
    if (this.s.store?.subscribe) {
      this.cleanups.push(
        this.s.store.subscribe((e) => {
          if (e.type === 'changed') this.broadcast('store.changed', e.status);
          else this.broadcast('store.progress', e.progress);
        }),
      );
    }
    const settings = this.s.settings;
    if (settings) {
      const onProgress = (message: string): void => this.broadcast('settings.progress', { message });
      const onChanged = (): void => {
        void Promise.resolve(settings.view()).then(
          (v) => this.broadcast('settings.changed', { ...v, limits: this.s.limits }),
          () => undefined,
        );
      };
      settings.on('progress', onProgress);
      settings.on('changed', onChanged);
      // A hub may be closed and another started (the control socket's clients come and go).
      this.cleanups.push(() => {
        settings.off('progress', onProgress);
        settings.off('changed', onChanged);
      });
    }
    if (this.s.engine.status().state === 'running') this.ensureWatch();
  }

  private ensureWatch(): void {
    if (this.stopWatch || this.retryTimer || this.closed) return;
    this.s.docker
      .watch(
        (kind) => this.schedule(kind),
        () => this.onWatchEnd(),
      )
      .then(
        (stop) => {
          if (this.closed) {
            stop();
            return;
          }
          this.stopWatch = stop;
          // Connected (again): whatever happened meanwhile, e.g. a store switch, is in a fresh listing.
          void this.refreshAll();
        },
        () => this.onWatchEnd(),
      );
  }

  private onWatchEnd(): void {
    this.stopWatch = null;
    if (this.closed || this.s.engine.status().state !== 'running' || this.retryTimer) return;
    // dockerd restarts on a store switch or settings change: reconnect once it is back.
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.ensureWatch();
    }, RECONNECT_MS);
  }

  private dropWatch(): void {
    this.stopWatch?.();
    this.stopWatch = null;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private schedule(kind: 'container' | 'image'): void {
    this.pending.add(kind);
    if (this.flushTimer || this.flushing) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      void this.flush();
    }, COALESCE_MS);
  }

  /**
   * One listing at a time: on a slow (emulated) VM a listing started earlier can finish later,
   * and must not overwrite a newer one. Events that arrive meanwhile trigger one more round.
   */
  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.pending.size && !this.closed) {
        const kinds = new Set(this.pending);
        this.pending.clear();
        // A container change alters images' "in use" too.
        await this.refresh(kinds.has('container'), true);
      }
    } finally {
      this.flushing = false;
    }
  }

  private async refresh(containers: boolean, images: boolean): Promise<void> {
    const d = this.s.docker;
    await Promise.all([
      containers
        ? d.listContainers().then(
            (c) => this.broadcast('containers.changed', c),
            () => undefined,
          )
        : undefined,
      images
        ? d.listImages().then(
            (i) => this.broadcast('images.changed', i),
            () => undefined,
          )
        : undefined,
    ]);
  }

  private async refreshAll(): Promise<void> {
    await Promise.all([
      this.refresh(true, true),
      this.s.docker.info().then(
        (i) => this.broadcast('system.info', i),
        () => undefined,
      ),
      this.s.store?.status().then(
        (st) => this.broadcast('store.changed', st),
        () => undefined,
      ),
    ]);
  }

  close(): void {
    this.closed = true;
    this.dropWatch();
    if (this.flushTimer) clearTimeout(this.flushTimer);
    for (const c of this.cleanups.splice(0)) c();
  }
}
