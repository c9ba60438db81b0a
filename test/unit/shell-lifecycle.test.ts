// The shell's behaviour with Electron's app, window and tray injected: one instance, the engine
// started at launch (the first run sets up the docker context), the tray following the engine,
// and every way out stopping the VM before the app exits.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { EngineStatus, StartStage } from '../../engine/host/engine-types.ts';
import type { EventName } from '../../electron/node-host/api/contract.ts';
import type { View } from '../../electron/shell/main/app-menu.ts';
import type { Progress } from '../../electron/shell/main/first-run.ts';
import {
  Shell,
  type AppPort,
  type ShellDeps,
  type ShellHostLike,
  type TrayPort,
  type WindowPort,
} from '../../electron/shell/main/shell.ts';
import type { TrayAction, TrayModel } from '../../electron/shell/main/tray-model.ts';

class FakeApp implements AppPort {
  lock = true;
  events = new EventEmitter();
  log: string[] = [];
  requestSingleInstanceLock(): boolean {
    this.log.push('lock');
    return this.lock;
  }
  whenReady(): Promise<void> {
    return Promise.resolve();
  }
  on(event: string, listener: (...a: never[]) => void): unknown {
    this.events.on(event, listener as (...a: unknown[]) => void);
    return this;
  }
  quit(): void {
    this.log.push('quit');
  }
  exit(code: number): void {
    this.log.push(`exit:${code}`);
  }
  /** Emits before-quit like Electron; true when a listener prevented it. */
  beforeQuit(): boolean {
    let prevented = false;
    this.events.emit('before-quit', {
      preventDefault: () => {
        prevented = true;
      },
    });
    return prevented;
  }
}

class FakeEngine extends EventEmitter {
  st: EngineStatus = { state: 'stopped', dockerSocket: '/d/run/docker.sock', dataDir: '/d' };
  failStart: string | null = null;
  calls: string[] = [];
  status(): EngineStatus {
    return structuredClone(this.st);
  }
  private set(patch: Partial<EngineStatus>): void {
    this.st = { ...this.st, ...patch };
    this.emit('status', this.status());
  }
  async start(): Promise<EngineStatus> {
    this.calls.push('start');
    this.set({ state: 'starting' });
    for (const stage of ['image', 'boot', 'ports-from-a-newer-engine', 'dockerd'])
      this.emit('stage', { stage, elapsedMs: 1 } satisfies StartStage);
    await new Promise((r) => setTimeout(r, 5));
    if (this.failStart) {
      this.set({ state: 'error', error: { message: this.failStart, console: [] } });
      throw new Error(this.failStart);
    }
    this.set({ state: 'running', accelerator: 'tcg' });
    return this.status();
  }
  async stop(): Promise<void> {
    this.calls.push('stop');
    this.set({ state: 'stopped' });
  }
  async restart(): Promise<EngineStatus> {
    this.calls.push('restart');
    await this.stop();
    this.calls.pop();
    return this.start();
  }
}

class FakeHost implements ShellHostLike {
  engine = new FakeEngine();
  settings = { get: () => ({ useContainerdSnapshotter: true }) };
  dockerSocket = '/d/run/docker.sock';
  private listeners = new Set<(n: EventName, d: unknown) => void>();
  shutdowns = 0;
  order: string[] = [];
  onEvent(l: (n: EventName, d: unknown) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  emitEvent(n: EventName, d: unknown): void {
    for (const l of this.listeners) l(n, d);
  }
  async shutdown(): Promise<void> {
    this.shutdowns++;
    await new Promise((r) => setTimeout(r, 5));
    await this.engine.stop();
    this.order.push('shutdown done');
  }
}

class FakeWindow implements WindowPort {
  shows: Array<View | undefined> = [];
  progress: Array<Progress | null> = [];
  closeAllowed = false;
  destroyed = false;
  show(view?: View): void {
    this.shows.push(view);
  }
  setProgress(p: Progress | null): void {
    this.progress.push(p);
  }
  allowClose(): void {
    this.closeAllowed = true;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
}

class FakeTray implements TrayPort {
  models: TrayModel[] = [];
  destroyed = false;
  constructor(readonly act: (a: TrayAction) => void) {}
  render(m: TrayModel): void {
    this.models.push(m);
  }
  destroy(): void {
    this.destroyed = true;
  }
  get last(): TrayModel {
    return this.models[this.models.length - 1]!;
  }
}

function harness(opts: { firstRun?: boolean; lock?: boolean; hostFails?: string } = {}) {
  const app = new FakeApp();
  app.lock = opts.lock ?? true;
  const host = new FakeHost();
  const windows: FakeWindow[] = [];
  let tray: FakeTray | null = null;
  const contexts: string[] = [];
  const fatal: string[] = [];
  let hostStarts = 0;
  const deps: ShellDeps = {
    app,
    firstRun: opts.firstRun ?? false,
    startHost: async () => {
      hostStarts++;
      if (opts.hostFails) throw new Error(opts.hostFails);
      return host;
    },
    createWindow: () => {
      const w = new FakeWindow();
      windows.push(w);
      return w;
    },
    createTray: (act) => (tray = new FakeTray(act)),
    installMenu: () => undefined,
    writeContext: (socket) => {
      contexts.push(socket);
      return `/home/u/.docker/contexts/meta/x/meta.json`;
    },
    fatal: async (m) => {
      fatal.push(m);
    },
    log: () => undefined,
  };
  app.exit = (code) => {
    app.log.push(`exit:${code}`);
    host.order.push(`exit:${code}`);
  };
  return { app, host, windows, tray: () => tray!, contexts, fatal, deps, hostStarts: () => hostStarts };
}

describe('desktop shell', () => {
  it('runs once: a second launch quits without starting anything', async () => {
    const h = harness({ lock: false });
    assert.equal(await Shell.launch(h.deps), null);
    assert.deepEqual(h.app.log, ['lock', 'quit']);
    assert.equal(h.hostStarts(), 0);
    assert.equal(h.windows.length, 0);
  });

  it("shows the running instance's window when launched again", async () => {
    const h = harness();
    const shell = (await Shell.launch(h.deps))!;
    await shell.launchStart;
    const before = h.windows[0]!.shows.length;
    h.app.events.emit('second-instance');
    assert.equal(h.windows[0]!.shows.length, before + 1);
    assert.equal(h.windows.length, 1, 'the same window');
  });

  it('first run: starts the engine on defaults with progress, then creates the berth context', async () => {
    const h = harness({ firstRun: true });
    const shell = (await Shell.launch(h.deps))!;
    assert.equal(h.windows.length, 1, 'the window shows the set-up');
    const r = await shell.launchStart!;
    assert.equal(r.ok, true);
    assert.deepEqual(h.host.engine.calls, ['start']);
    assert.deepEqual(h.contexts, ['/d/run/docker.sock']);
    const titles = h.windows[0]!.progress.filter((p): p is Progress => p !== null).map((p) => p.title);
    assert.ok(titles.includes('Setting up Berth: booting the VM'), titles.join(' | '));
    assert.ok(titles.some((t) => /docker context/.test(t)));
    const fractions = h.windows[0]!.progress.filter((p): p is Progress => p !== null).map((p) => p.fraction);
    assert.deepEqual(
      fractions,
      [...fractions].sort((a, b) => a - b),
      'progress only moves forward',
    );
    assert.equal(h.windows[0]!.progress.at(-1), null, 'cleared when done');
  });

  it('later runs start the engine without touching the docker context', async () => {
    const h = harness({ firstRun: false });
    const shell = (await Shell.launch(h.deps))!;
    assert.equal((await shell.launchStart!).ok, true);
    assert.deepEqual(h.contexts, []);
    assert.ok(h.windows[0]!.progress.some((p) => p?.title === 'Starting the Docker Engine: booting the VM'));
  });

  it('a failed first start shows the error and writes no context', async () => {
    const h = harness({ firstRun: true });
    h.host.engine.failStart = 'no accelerator and no qemu-system-x86_64';
    const shell = (await Shell.launch(h.deps))!;
    const r = await shell.launchStart!;
    assert.equal(r.ok, false);
    assert.deepEqual(h.contexts, []);
    assert.match(h.windows[0]!.progress.at(-1)!.title, /failed to start: no accelerator/);
    assert.equal(h.tray().last.state, 'error');
  });

  it('the tray follows the engine and the active store', async () => {
    const h = harness();
    const shell = (await Shell.launch(h.deps))!;
    assert.equal(h.tray().models[0]!.state, 'stopped');
    await shell.launchStart;
    const states = h.tray().models.map((m) => m.state);
    assert.deepEqual([...new Set(states)], ['stopped', 'starting', 'running']);
    const storeLabel = (): string => {
      const i = h.tray().last.items[1]!;
      return i.type === 'item' ? i.label : '';
    };
    assert.equal(storeLabel(), 'Image store: containerd (selected)');
    h.host.emitEvent('system.info', { activeStore: 'classic', storageDriver: 'overlay2', serverVersion: '26.1.5' });
    assert.equal(storeLabel(), 'Image store: classic (overlay2)');
    h.host.emitEvent('store.changed', {
      active: 'containerd',
      holds: { images: 2, bytes: 2, containers: 0 },
      hidden: { images: 1, bytes: 1, containers: 0 },
      diskFreeBytes: 1e9,
    });
    assert.equal(storeLabel(), 'Image store: containerd');
    h.host.emitEvent('system.info', { activeStore: 'bogus' });
    assert.equal(storeLabel(), 'Image store: containerd', 'malformed data ignored');
  });

  it('tray actions open views, restart (or start) the engine', async () => {
    const h = harness();
    const shell = (await Shell.launch(h.deps))!;
    await shell.launchStart;
    const w = h.windows[0]!;
    h.tray().act('settings');
    h.tray().act('troubleshoot');
    h.tray().act('dashboard');
    assert.deepEqual(w.shows.slice(-3), ['settings', 'troubleshoot', 'containers']);
    h.host.engine.calls.length = 0;
    assert.equal((await shell.restart()).ok, true);
    assert.deepEqual(h.host.engine.calls, ['restart', 'start']);
    await h.host.engine.stop();
    h.host.engine.calls.length = 0;
    await shell.restart();
    assert.deepEqual(h.host.engine.calls, ['start'], 'Start when stopped');
  });

  it('a closed window is made again when asked for', async () => {
    const h = harness();
    const shell = (await Shell.launch(h.deps))!;
    await shell.launchStart;
    h.windows[0]!.destroyed = true;
    h.tray().act('dashboard');
    assert.equal(h.windows.length, 2);
    assert.deepEqual(h.windows[1]!.shows, ['containers']);
  });

  it('Quit from the tray stops the VM, then exits', async () => {
    const h = harness();
    const shell = (await Shell.launch(h.deps))!;
    await shell.launchStart;
    h.tray().act('quit');
    assert.match(JSON.stringify(h.tray().last.items[0]), /Quitting: stopping the VM/);
    await shell.quit();
    assert.equal(h.host.shutdowns, 1);
    assert.equal(h.host.engine.status().state, 'stopped');
    assert.deepEqual(h.host.order, ['shutdown done', 'exit:0'], 'exit only after the VM stopped');
    assert.equal(h.windows[0]!.closeAllowed, true);
    assert.equal(h.tray().destroyed, true);
  });

  it('Cmd+Q / logout (before-quit) is held until the VM stopped, and quits once', async () => {
    const h = harness();
    const shell = (await Shell.launch(h.deps))!;
    await shell.launchStart;
    assert.equal(h.app.beforeQuit(), true, 'the first quit is held');
    assert.equal(h.app.beforeQuit(), true);
    await shell.quit();
    assert.equal(h.host.shutdowns, 1);
    assert.deepEqual(h.host.order, ['shutdown done', 'exit:0']);
    assert.equal(h.app.beforeQuit(), false, 'after the exit, nothing is held');
    h.tray().act('dashboard');
    assert.equal(h.windows.length, 1, 'no window while quitting');
  });

  it('says why when the host cannot start, and exits', async () => {
    const h = harness({ hostFails: 'Berth is already running in the background for /d (pid 42)' });
    assert.equal(await Shell.launch(h.deps), null);
    assert.deepEqual(h.fatal, ['Berth is already running in the background for /d (pid 42)']);
    assert.ok(h.app.log.includes('exit:1'));
    assert.equal(h.windows.length, 0);
  });
});
