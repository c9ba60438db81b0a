// The desktop shell's behaviour: one instance, a tray that follows the engine, a window that
// hides instead of closing, the engine started at launch (the first run sets up), and a quit that
// stops the VM before the app exits. Electron is injected through small ports (electron-ports.ts
// implements them), so all of this is unit-tested without Electron.
import type { EngineStatus, StartStage } from '../../../engine/host/engine-types.ts';
import { SystemInfoSchema, type EventName } from '../../node-host/api/contract.ts';
import { StoreStatusSchema, type ImageStore } from '../../node-host/api/store-types.ts';
import type { View } from './app-menu.ts';
import { runFirstRun, startWithProgress, type Progress, type StartResult } from './first-run.ts';
import { trayModel, type StoreView, type TrayAction, type TrayModel } from './tray-model.ts';
import { storeOf } from '../../../engine/shared/image-store.ts';

export interface AppPort {
  requestSingleInstanceLock(): boolean;
  whenReady(): Promise<void>;
  on(event: 'second-instance' | 'activate' | 'window-all-closed', listener: () => void): unknown;
  on(event: 'before-quit', listener: (e: { preventDefault(): void }) => void): unknown;
  quit(): void;
  exit(code: number): void;
}

export interface WindowPort {
  /** Shows and focuses the window, on the given view when one is named. */
  show(view?: View): void;
  setProgress(p: Progress | null): void;
  /** From now on a close really closes (until then it hides: Berth lives in the tray). */
  allowClose(): void;
  isDestroyed(): boolean;
}

export interface TrayPort {
  render(model: TrayModel): void;
  destroy(): void;
}

/** What the shell needs of the host services (shell-host.ts's ShellHost fits). */
export interface ShellHostLike {
  engine: {
    status(): EngineStatus;
    start(): Promise<EngineStatus>;
    restart(): Promise<EngineStatus>;
    on(event: 'status', listener: (s: EngineStatus) => void): unknown;
    on(event: 'stage', listener: (s: StartStage) => void): unknown;
    off(event: 'stage', listener: (s: StartStage) => void): unknown;
  };
  settings: { get(): { useContainerdSnapshotter: boolean } };
  dockerSocket: string;
  onEvent(listener: (name: EventName, data: unknown) => void): () => void;
  /** Stops the VM cleanly and releases the data dir. */
  shutdown(): Promise<void>;
}

export interface ShellDeps {
  app: AppPort;
  /** Starts the host services; called once this is the only instance. */
  startHost(): Promise<ShellHostLike>;
  createWindow(): WindowPort;
  createTray(onAction: (a: TrayAction) => void): TrayPort;
  installMenu(actions: { show(view: View): void; restart(): void; quit(): void }): void;
  /** Wires the window's IPC to the host (electron-ports.ts registers it with the router). */
  attachWindow?(host: ShellHostLike): void;
  firstRun: boolean;
  writeContext(socket: string): string;
  /** Reports a fatal start-up problem to the user (a dialog), before the app exits. */
  fatal(message: string): Promise<void>;
  log(line: string): void;
}

export class Shell {
  private host: ShellHostLike | null = null;
  private window: WindowPort | null = null;
  private tray: TrayPort | null = null;
  private reported: ImageStore | undefined;
  private quitting: Promise<void> | null = null;
  private quitRequested = false;
  private exiting = false;
  /** The engine start the shell began at launch (tests await it). */
  launchStart: Promise<StartResult> | null = null;

  private constructor(private readonly d: ShellDeps) {}

  /** Returns null when another instance already runs: that one is shown instead and this one quits. */
  static async launch(d: ShellDeps): Promise<Shell | null> {
    if (!d.app.requestSingleInstanceLock()) {
      d.log('Berth is already running: showing its window');
      d.app.quit();
      return null;
    }
    const shell = new Shell(d);
    d.app.on('second-instance', () => shell.show());
    d.app.on('activate', () => shell.show());
    d.app.on('window-all-closed', () => {
      /* Berth stays in the tray */
    });
    d.app.on('before-quit', (e) => {
      if (shell.exiting) return;
      e.preventDefault();
      void shell.quit();
    });
    await d.app.whenReady();
    try {
      shell.host = await d.startHost();
    } catch (e) {
      await d.fatal((e as Error).message);
      shell.exiting = true;
      d.app.exit(1);
      return null;
    }
    shell.wire(shell.host);
    return shell;
  }

  private wire(host: ShellHostLike): void {
    this.tray = this.d.createTray((a) => this.onTray(a));
    host.engine.on('status', (s) => {
      if (s.state !== 'running') this.reported = undefined;
      this.renderTray();
    });
    host.onEvent((name, data) => {
      const active = activeStoreOf(name, data);
      if (active) {
        this.reported = active;
        this.renderTray();
      } else if (name === 'settings.changed') this.renderTray();
    });
    this.d.installMenu({ show: (v) => this.show(v), restart: () => void this.restart(), quit: () => void this.quit() });
    this.d.attachWindow?.(host);
    this.renderTray();
    // The first run always shows its progress; later launches too (Berth has no hidden start yet).
    this.show();
    const deps = {
      engine: host.engine,
      progress: (p: Progress | null) => this.window?.setProgress(p),
      log: this.d.log,
    };
    this.launchStart = this.d.firstRun
      ? runFirstRun({
          ...deps,
          settings: () => host.settings.get(),
          dockerSocket: host.dockerSocket,
          writeContext: this.d.writeContext,
        })
      : startWithProgress(deps);
  }

  show(view?: View): void {
    if (!this.host || this.quitRequested) return;
    if (!this.window || this.window.isDestroyed()) this.window = this.d.createWindow();
    this.window.show(view);
  }

  storeView(): StoreView {
    const selected: ImageStore | undefined = this.host ? storeOf(this.host.settings.get()) : undefined;
    return { reported: this.reported, selected };
  }

  private renderTray(): void {
    if (!this.host || !this.tray) return;
    this.tray.render(trayModel(this.host.engine.status(), this.storeView(), this.quitRequested));
  }

  private onTray(a: TrayAction): void {
    switch (a) {
      case 'dashboard':
        return this.show('containers');
      case 'settings':
        return this.show('settings');
      case 'troubleshoot':
        return this.show('troubleshoot');
      case 'restart':
        void this.restart();
        return;
      case 'quit':
        void this.quit();
        return;
    }
  }

  /** Restart (Start when stopped), with the same progress as at launch. */
  async restart(): Promise<StartResult> {
    const host = this.host;
    if (!host || this.quitRequested) return { ok: false, error: 'quitting' };
    const st = host.engine.status().state;
    if (st === 'starting' || st === 'stopping') return { ok: false, error: `the engine is ${st}` };
    return startWithProgress({
      engine: {
        start: () => (st === 'stopped' ? host.engine.start() : host.engine.restart()),
        on: (e, l) => host.engine.on(e, l),
        off: (e, l) => host.engine.off(e, l),
      },
      progress: (p) => this.window?.setProgress(p),
      log: this.d.log,
    });
  }

  /** Stops the VM cleanly, then exits. Every way out (tray, menu, Cmd+Q, logout) comes here once. */
  quit(): Promise<void> {
    if (this.quitting) return this.quitting;
    this.quitRequested = true;
    this.quitting = (async () => {
      this.renderTray();
      this.window?.allowClose();
      try {
        await this.host?.shutdown();
      } catch (e) {
        this.d.log(`stopping the engine failed: ${(e as Error).message}`);
      }
      this.tray?.destroy();
      this.exiting = true;
      this.d.app.exit(0);
    })();
    return this.quitting;
  }
}

/** The active store an event reports, if it reports one. */
function activeStoreOf(name: EventName, data: unknown): ImageStore | undefined {
  if (name === 'system.info') {
    const r = SystemInfoSchema.safeParse(data);
    return r.success ? r.data.activeStore : undefined;
  }
  if (name === 'store.changed') {
    const r = StoreStatusSchema.safeParse(data);
    return r.success ? r.data.active : undefined;
  }
  return undefined;
}
