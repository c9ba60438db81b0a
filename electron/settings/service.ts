// The one path every front end (dashboard, tray, CLI, tests) uses to read and change settings:
// propose (what would change and restart), apply ("Apply & Restart"), factory reset.
// Events: 'progress' (message: string) throughout an apply or reset; 'changed' (Settings).
import { EventEmitter } from 'node:events';
import type { DataDir } from '../../engine/host/paths.ts';
import { adminSettingsPath, loadAdminPolicy, lockedMessage, overlay, type AdminPolicy } from './admin-policy.ts';
import type { EnginePort } from './engine-port.ts';
import { flattenPatch, type SettingsPatch } from './patch.ts';
import { diffSettings, strongest, type SettingChange } from './restart.ts';
import { defaultSettings, getKey, jsonEqual, withKey, type RestartKind, type SettingKey, type Settings } from './schema.ts';
import { loadSettings, saveSettings } from './settings-file.ts';
import { dataDiskGiB } from './data-disk.ts';
import { hostLimits, validateValue, type HostLimits, type SettingError } from './validate.ts';

export interface SettingsServiceOptions {
  /** The host's cores and memory (tests pass fixed ones). */
  limits?: HostLimits;
  /** The administrator's file; default adminSettingsPath(). */
  adminFile?: string;
  now?: () => Date;
}

export interface Proposal {
  changes: SettingChange[];
  /** The strongest restart among the changes. */
  restart: RestartKind;
  errors: SettingError[];
}

export interface SettingsView {
  settings: Settings;
  locked: SettingKey[];
  notices: string[];
  applying: boolean;
}

export class SettingsValidationError extends Error {
  constructor(readonly errors: SettingError[]) { super(errors.map((e) => e.message).join('; ')); }
}
export class SettingsBusyError extends Error {}
export class ApplyFailedError extends Error {}

export class SettingsService extends EventEmitter {
  private user: Settings;
  private readonly policy: AdminPolicy;
  private readonly limits: HostLimits;
  private readonly noticeList: string[] = [];
  private busy: 'apply' | 'factory reset' | null = null;

  constructor(private readonly data: DataDir, private readonly port: EnginePort, opts: SettingsServiceOptions = {}) {
    super();
    this.limits = opts.limits ?? hostLimits();
    this.policy = loadAdminPolicy(opts.adminFile ?? adminSettingsPath());
    if (this.policy.error) {
      this.noticeList.push(`The administrator's settings file ${this.policy.file} ${this.policy.error}; every settings change is refused until it is fixed.`);
    }
    const file = data.settingsFile;
    const loaded = loadSettings(file, () => this.defaults(), opts.now?.() ?? new Date());
    this.user = loaded.settings;
    if (loaded.source === 'recovered') {
      this.noticeList.push(`The settings file could not be used: ${loaded.problem}. ${loaded.movedTo ? `It was moved to ${loaded.movedTo}; ` : ''}Berth started on default settings.`);
    }
    // Record the decision now: a clean install stays on its defaults when a later version reads
    // the file, and a migrated file is rewritten once (its old text kept in settings.json.bak).
    if (loaded.source === 'clean-install' || loaded.source === 'migrated' || (loaded.source === 'recovered' && loaded.movedTo)) {
      saveSettings(file, this.user);
    }
  }

  /** The effective settings: the user's, with the administrator's locked values on top. */
  get(): Settings { return overlay(this.user, this.policy.locked); }
  get notices(): readonly string[] { return this.noticeList; }
  get applying(): boolean { return this.busy !== null; }
  locked(): SettingKey[] { return [...this.policy.locked.keys()]; }

  view(): SettingsView {
    return { settings: this.get(), locked: this.locked(), notices: [...this.noticeList], applying: this.applying };
  }

  private defaults(): Settings { return overlay(defaultSettings(), this.policy.defaults); }

  propose(patch: SettingsPatch): Proposal {
    const { changes, errors } = this.evaluate(patch);
    return { changes, restart: strongest(changes.map((c) => c.restart)), errors };
  }

  private evaluate(patch: SettingsPatch): { changes: SettingChange[]; errors: SettingError[]; nextUser: Settings } {
    const { values, errors } = flattenPatch(patch);
    const current = this.get();
    let nextUser = this.user;
    for (const [key, value] of values) {
      // A value equal to the effective one is no change (front ends may send whole forms).
      if (jsonEqual(getKey(current, key), value)) continue;
      const message = this.policy.locked.has(key) ? lockedMessage(key)
        : this.policy.error ? `${key} cannot be changed: the administrator's settings file ${this.policy.error}`
          : validateValue(key, value, this.limits) ?? this.diskRule(key, value);
      if (message) errors.push({ key, message });
      else nextUser = withKey(nextUser, key, value);
    }
    const changes = diffSettings(current, overlay(nextUser, this.policy.locked));
    return { changes: errors.length ? [] : changes, errors, nextUser };
  }

  /** The data disk only grows: shrinking a qcow2 under a filesystem would destroy data. */
  private diskRule(key: SettingKey, value: unknown): string | null {
    if (key !== 'vm.diskGiB') return null;
    const size = dataDiskGiB(this.data.dataDisk);
    if (size !== null && typeof value === 'number' && value < size) {
      return `vm.diskGiB cannot be lower than the existing data disk's ${size} GiB: a disk is never shrunk (a factory reset starts a new one)`;
    }
    return null;
  }

  private claim(what: 'apply' | 'factory reset'): void {
    // One apply or reset at a time: a second is refused at once rather than queued behind a VM
    // restart, so the caller sees why and the settings it proposed against are still current.
    if (this.busy) throw new SettingsBusyError(`another ${this.busy} is in progress; try again when it has finished`);
    this.busy = what;
  }

  /**
   * "Apply & Restart": validate, save, then restart what runs and needs it. If the engine
   * fails to take the new settings, the old ones are saved again and re-applied.
   */
  async apply(patch: SettingsPatch): Promise<Settings> {
    const { changes, errors, nextUser } = this.evaluate(patch);
    if (errors.length) throw new SettingsValidationError(errors);
    this.claim('apply');
    const progress = (msg: string): void => { this.emit('progress', msg); };
    try {
      if (!changes.length) { progress('Nothing to change.'); return this.get(); }
      const previousUser = this.user;
      const previous = this.get();
      progress(`Saving ${changes.map((c) => c.key).join(', ')}.`);
      saveSettings(this.data.settingsFile, nextUser);
      this.user = nextUser;
      const done = { engine: false, vm: false };
      try {
        await this.applyToEngine(previous, this.get(), changes, progress, done);
      } catch (e) {
        const why = (e as Error).message;
        progress(`Applying failed: ${why}. Restoring the previous settings.`);
        saveSettings(this.data.settingsFile, previousUser);
        this.user = previousUser;
        const restoreError = await this.restoreEngine(previous, done, progress);
        throw new ApplyFailedError(`applying the settings failed: ${why}; the previous settings were restored${restoreError ? `, but the engine could not be brought back to them: ${restoreError}` : ''}`);
      }
      this.emit('changed', this.get());
      progress('Settings applied.');
      return this.get();
    } finally {
      this.busy = null;
    }
  }

  private async applyToEngine(previous: Settings, next: Settings, changes: SettingChange[], progress: (m: string) => void,
    done: { engine: boolean; vm: boolean }): Promise<void> {
    const restart = strongest(changes.map((c) => c.restart));
    if (restart === 'none') return;
    if (!this.port.isRunning()) {
      progress('The engine is not running: the new settings take effect when it starts.');
      return;
    }
    if (changes.some((c) => c.restart === 'engine')) {
      done.engine = true;
      if (previous.useContainerdSnapshotter !== next.useContainerdSnapshotter) {
        progress(`Switching the image store to ${next.useContainerdSnapshotter ? 'the containerd image store' : 'the classic overlay2 store'}: the Docker Engine restarts.`);
      } else {
        progress('Restarting the Docker Engine with the new daemon.json keys.');
      }
      await this.port.applyEngineConfig({ useContainerdSnapshotter: next.useContainerdSnapshotter, dockerEngine: next.dockerEngine }, progress);
    }
    if (restart === 'vm') {
      done.vm = true;
      progress('Restarting the VM with the new resources.');
      await this.port.restartVm(progress);
    }
  }

  /** Best effort: the engine back on the settings that are saved again. Returns the failure, if any. */
  private async restoreEngine(previous: Settings, done: { engine: boolean; vm: boolean }, progress: (m: string) => void): Promise<string | null> {
    try {
      if (done.vm) {
        progress('Restarting the VM with the previous resources.');
        await this.port.restartVm(progress);
      }
      if (done.engine && this.port.isRunning()) {
        progress('Restarting the Docker Engine with the previous configuration.');
        await this.port.applyEngineConfig({ useContainerdSnapshotter: previous.useContainerdSnapshotter, dockerEngine: previous.dockerEngine }, progress);
      }
      return null;
    } catch (e) {
      return (e as Error).message;
    }
  }

  /** Stops the engine, deletes the VM data (both stores), restores the default settings. */
  async factoryReset(): Promise<Settings> {
    this.claim('factory reset');
    const progress = (msg: string): void => { this.emit('progress', msg); };
    try {
      progress('Factory reset: stopping the engine and deleting the VM data (both image stores).');
      try {
        await this.port.wipeEngineData(progress);
      } catch (e) {
        throw new ApplyFailedError(`factory reset failed: ${(e as Error).message}; the settings were not changed`);
      }
      this.user = this.defaults();
      saveSettings(this.data.settingsFile, this.user);
      // Notices about the old settings file no longer apply; the admin's still does.
      this.noticeList.splice(0, this.noticeList.length, ...this.noticeList.filter((n) => n.startsWith("The administrator's")));
      this.emit('changed', this.get());
      progress('Factory reset done: default settings restored.');
      return this.get();
    } finally {
      this.busy = null;
    }
  }
}
