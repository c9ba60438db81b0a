// A throwaway Berth install for one test file: its own data dir and docker config, and the CLI.
// With { shared: true } a file attaches instead to the engine scripts/test.sh booted for every
// file that can share one (BERTH_SHARED_HOME); run alone, it boots its own as before.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { DataDir } from '../../engine/host/paths.ts';
import { imageDir } from '../../engine/image/locate.ts';
import { EngineStatusSchema, type EngineStatus } from '../../engine/host/engine-types.ts';
import { saveSettings } from '../../electron/node-host/settings/settings-file.ts';
import { defaultSettings } from '../../electron/node-host/settings/schema.ts';
import { captureState, restoreState, type EngineState } from './shared-state.ts';
import { printGuestCrash } from './guest-crash.ts';
import { runProcess, type Run } from './endpoint-tools.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/berth.js');

export type CliResult = Run;
export interface BerthEnvOptions {
  /** Attach to the suite's shared engine when there is one; the file must leave it as it found it. */
  shared?: boolean;
}

export function runCli(env: NodeJS.ProcessEnv, args: string[], timeoutMs = 900_000): Promise<CliResult> {
  return runProcess(process.execPath, [BIN, ...args], env, timeoutMs, `berth ${args.join(' ')}`);
}

export class BerthEnv {
  /** True when attached to the shared engine: never stopped or deleted here. */
  readonly attached: boolean;
  readonly root: string;
  readonly data: DataDir;
  readonly dockerConfig: string;
  readonly env: NodeJS.ProcessEnv;
  /** What the shared engine held when this file attached; restored and checked by dispose(). */
  private found: Promise<EngineState> | null = null;

  constructor(opts: BerthEnvOptions = {}) {
    const shared = opts.shared ? process.env.BERTH_SHARED_HOME : undefined;
    this.attached = !!shared;
    this.root = shared ? path.dirname(shared) : fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-'));
    this.data = new DataDir(shared ?? path.join(this.root, 'home'));
    this.dockerConfig = path.join(this.root, 'docker-config');
    this.env = { ...process.env, BERTH_HOME: this.data.root, DOCKER_CONFIG: this.dockerConfig };
    // The shared engine serves shareRoot as its owner (createShareRoot): a host that this file's
    // commands bring back (adopting the engine after a host died) must restart virtiofsd as that
    // owner too, or files written in containers after a VM restart would be root's.
    if (shared && process.getuid?.() === 0)
      this.env.BERTH_SHARE_OWNER = `${this.shareOwner.uid}:${this.shareOwner.gid}`;
    // ...and with its home directory: a factory reset there restores sharing that folder.
    if (shared) this.useShareRootAsHome();
  }

  /**
   * The shared engine's host runs with HOME=shareRoot, so the default settings (which a factory
   * reset restores) share that folder. The caches (the image, the bundled QEMU beside it) follow
   * the real home directory: otherwise the host would run another QEMU than every other host.
   */
  useShareRootAsHome(): void {
    Object.assign(this.env, {
      HOME: this.shareRoot,
      BERTH_IMAGE_DIR: imageDir(),
      XDG_CACHE_HOME: process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'),
    });
  }

  /** A host folder shared into the VM, owned like a non-root user's (uid 1000 when tests run as root). */
  get shareRoot(): string {
    return path.join(this.root, 'share');
  }
  get shareOwner(): { uid: number; gid: number } {
    return process.getuid?.() === 0 ? { uid: 1000, gid: 1000 } : { uid: process.getuid!(), gid: process.getgid!() };
  }

  /**
   * Before an own engine's first start: shares shareRoot, with virtiofsd as its owner. The shared
   * engine is booted that way already (its host's home directory is shareRoot).
   */
  prepareShare(): void {
    createShareRoot(this);
    if (this.attached) return;
    saveSettings(this.data.settingsFile, { ...defaultSettings(), fileSharing: [this.shareRoot] });
  }

  /** `berth start`; attached, the shared engine already runs and this only records its state. */
  async start(timeoutMs?: number): Promise<CliResult> {
    return this.cli(['start'], timeoutMs);
  }

  async cli(args: string[], timeoutMs = 900_000): Promise<CliResult> {
    // Recorded before this file's first command can change anything.
    if (this.attached) await (this.found ??= captureState(this));
    return runCli(this.env, args, timeoutMs);
  }

  async status(): Promise<EngineStatus> {
    const r = await this.cli(['status', '--json']);
    return EngineStatusSchema.parse(JSON.parse(r.stdout));
  }

  docker(): Docker {
    return new Docker({ socketPath: this.data.dockerSocket });
  }

  /**
   * Own engine: stops the VM and host if still running, then deletes everything. Shared engine:
   * puts back the settings this file changed and fails if the store or its contents differ.
   */
  async dispose(): Promise<void> {
    if (this.attached) {
      if (this.found) await restoreState(this, await this.found);
      return;
    }
    await this.cli(['stop'], 120_000).catch(() => undefined);
    printGuestCrash(this.data);
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

/** shareRoot with the owner and modes a real user's folder has; its parents stay traversable. */
export function createShareRoot(env: BerthEnv): void {
  fs.mkdirSync(env.shareRoot, { recursive: true });
  fs.chmodSync(env.root, 0o711);
  fs.chmodSync(env.shareRoot, 0o755);
  if (process.getuid?.() === 0) {
    fs.chownSync(env.shareRoot, env.shareOwner.uid, env.shareOwner.gid);
    env.env.BERTH_SHARE_OWNER = `${env.shareOwner.uid}:${env.shareOwner.gid}`;
  }
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
