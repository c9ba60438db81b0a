// An in-memory stand-in for Electron's IPC (ipcMain, ipcRenderer and a window's webContents) for
// the desktop shell's unit tests: the real router and the real preload bridge talk through it.
import type { IpcRendererLike } from '../../electron/shell/preload/bridge.ts';
import type { IpcInvokeEvent, IpcMainLike, SenderLike } from '../../electron/shell/main/ipc-router.ts';
import { RENDERER_URL } from '../../electron/shell/main/window-options.ts';

type Listener = (event: unknown, ...args: unknown[]) => void;

/** One window: its webContents (SenderLike, for the main side) and its ipcRenderer (for the preload). */
export class FakeWindow implements SenderLike {
  private static nextId = 1;
  readonly id = FakeWindow.nextId++;
  private destroyed = false;
  private lifecycle = new Map<string, Array<() => void>>();
  private rendererListeners = new Map<string, Set<Listener>>();
  invokes = 0;
  frameUrl: string | null = RENDERER_URL;

  constructor(private readonly main: FakeIpcMain) {}

  send(channel: string, ...args: unknown[]): void {
    for (const l of this.rendererListeners.get(channel) ?? []) l({ sender: 'main' }, ...args);
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  on(event: string, listener: () => void): unknown {
    this.lifecycle.set(event, [...(this.lifecycle.get(event) ?? []), listener]);
    return this;
  }
  emitLifecycle(event: 'destroyed' | 'did-navigate' | 'render-process-gone'): void {
    if (event === 'destroyed') this.destroyed = true;
    for (const l of this.lifecycle.get(event) ?? []) l();
  }

  /** This window's ipcRenderer. */
  readonly ipcRenderer: IpcRendererLike = {
    invoke: async (channel, ...args) => {
      this.invokes++;
      const event: IpcInvokeEvent = {
        sender: this,
        senderFrame: this.frameUrl === null ? null : { url: this.frameUrl },
      };
      return this.main.dispatch(channel, event, args);
    },
    on: (channel, listener) => {
      const set = this.rendererListeners.get(channel) ?? new Set();
      set.add(listener);
      this.rendererListeners.set(channel, set);
      return this.ipcRenderer;
    },
  };

  listenerCount(channel: string): number {
    return this.rendererListeners.get(channel)?.size ?? 0;
  }
}

export class FakeIpcMain implements IpcMainLike {
  private handlers = new Map<string, (event: IpcInvokeEvent, ...args: unknown[]) => Promise<unknown>>();
  handle(channel: string, listener: (event: IpcInvokeEvent, ...args: unknown[]) => Promise<unknown>): void {
    if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  dispatch(channel: string, event: IpcInvokeEvent, args: unknown[]): Promise<unknown> {
    const h = this.handlers.get(channel);
    if (!h) return Promise.reject(new Error(`No handler registered for '${channel}'`));
    return h(event, ...args);
  }
  get channels(): string[] {
    return [...this.handlers.keys()];
  }
}
