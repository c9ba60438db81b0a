// The one path every front end (dashboard, tray, CLI, tests) uses to read and change settings:
// propose (what would change and restart), apply ("Apply & Restart"), factory reset.
// Events: 'progress' (message: string) throughout an apply or reset; 'changed' (Settings).
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import type { DataDir } from '../../../engine/host/paths.ts';
import { adminSettingsPath, loadAdminPolicy, overlay, type AdminPolicy } from './admin-policy.ts';
import type { EnginePort } from './engine-port.ts';
import type { SettingsPatch } from './patch.ts';
import { strongest, type SettingChange } from './restart.ts';
import { CURRENT_SCHEMA_VERSION, defaultSettings, type RestartKind, type SettingKey, type Settings } from './schema.ts';
import { loadSettings, readSettingsFile, saveSettings } from './settings-file.ts';
import type { RawSettings } from './migrations.ts';
import { hostLimits, hostShare, type HostShare } from './host-limits.ts';
import type { SettingError } from './validate.ts';
import { evaluatePatch, type Evaluation } from './evaluate-patch.ts';
import { loadNotices } from './load-notices.ts';
import { applyToEngine, restoreEngine } from './apply-to-engine.ts';
import { decideStore, type ClassicContents, type StoreDecision } from '../store/store-decision.ts';
import { STORE_LABEL, storeOf, storeSetting, type ImageStore } from '../../../engine/shared/image-store.ts';
import type { SettingsLimits } from '../api/settings-types.ts';

export interface SettingsServiceOptions {
  /** The host's cores and memory for the VM (tests pass fixed ones). */
  limits?: HostShare;
  /** Read only (`berth settings get` without a host): nothing is moved, copied or written. */
  readOnly?: boolean;
  /** Where decisions are recorded (the host's log); default stdout with a timestamp. */
  log?: (line: string) => void;
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
  constructor(readonly errors: SettingError[]) {
    super(errors.map((e) => e.message).join('; '));
  }
}
export class SettingsBusyError extends Error {}
export class ApplyFailedError extends Error {}

const PENDING_PREFIX = 'The image store is decided when the engine next starts';

export class SettingsService extends EventEmitter {
  private user: Settings;
  /** Keys of the file this version does not know: written back as they were. */
  private unknown: RawSettings;
  /** A newer file keeps its own version number when this version saves it. */
  private fileVersion: number;
  /** Why the file could not say which store; null once decided. */
  private storeUnknown: string | null;
  private readonly policy: AdminPolicy;
  private readonly share: HostShare;
  private readonly readOnly: boolean;
  private readonly log: (line: string) => void;
  private readonly noticeList: string[] = [];
  private busy: 'apply' | 'factory reset' | null = null;
  /** The settings file as this service last read or wrote it (mtime, size, inode). */
  private fileStamp: string | null = null;
  /** Why the file, edited by hand since, cannot be used: changes are refused until it is fixed. */
  private editedProblem: string | null = null;

  constructor(
    private readonly data: DataDir,
    private readonly port: EnginePort,
    opts: SettingsServiceOptions = {},
  ) {
    super();
    this.share = opts.limits ?? hostShare();
    this.readOnly = opts.readOnly ?? false;
    this.log = opts.log ?? ((line) => console.log(`${new Date().toISOString()} ${line}`));
    this.policy = loadAdminPolicy(opts.adminFile ?? adminSettingsPath());
    if (this.policy.error) {
      this.noticeList.push(
        `The administrator's settings file ${this.policy.file} ${this.policy.error}; every settings change is refused until it is fixed.`,
      );
    }
    const file = data.settingsFile;
    const loaded = this.readOnly
      ? readSettingsFile(file, () => this.defaults())
      : loadSettings(file, () => this.defaults(), opts.now?.() ?? new Date());
    this.user = loaded.settings;
    this.unknown = loaded.unknown;
    this.fileVersion = loaded.source === 'newer' ? loaded.migratedFrom! : CURRENT_SCHEMA_VERSION;
    this.storeUnknown = loaded.storeUnknown;
    this.noticeList.push(...loadNotices(loaded, () => this.defaults()));
    for (const n of this.noticeList) this.log(`settings: ${n}`);
    // Record the decision now: a clean install stays on its defaults when a later version reads
    // the file; a migrated or repaired file is rewritten once (its old text kept in settings.json.bak).
    let write =
      loaded.source === 'clean-install' ||
      loaded.source === 'migrated' ||
      loaded.source === 'recovered' ||
      loaded.rejected.length > 0;
    if (this.storeUnknown !== null && !fs.existsSync(data.dataDisk)) {
      this.decide(decideStore(this.storeUnknown, null), false);
      write = true;
    } else if (this.storeUnknown !== null) {
      this.noticeList.push(
        `${PENDING_PREFIX}: ${this.storeUnknown}. The classic store stays active if it holds images or containers; otherwise the containerd store is used.`,
      );
    }
    if (write) this.save();
    else this.fileStamp = this.stampNow();
  }

  private stampNow(): string | null {
    try {
      const st = fs.statSync(this.data.settingsFile);
      return `${st.mtimeMs}:${st.size}:${st.ino}`;
    } catch {
      return null;
    }
  }

  /**
   * A settings file changed on disk since this service read or wrote it (edited by hand, or by a
   * host that ran meanwhile) is read again, so this service never works from, or writes back, a
   * stale copy. One that cannot be used is left as it is, and changes are refused until it is fixed.
   */
  private refresh(): void {
    if (this.readOnly || this.busy) return;
    const now = this.stampNow();
    if (now === null || now === this.fileStamp) return;
    this.fileStamp = now;
    const loaded = readSettingsFile(this.data.settingsFile, () => this.defaults());
    if (loaded.source === 'recovered' || loaded.rejected.length) {
      this.editedProblem = loaded.problem ?? loaded.rejected.map((r) => r.message).join('; ');
      this.log(
        `settings: the settings file changed on disk and cannot be used (${this.editedProblem}); keeping the settings in use`,
      );
      return;
    }
    this.editedProblem = null;
    // A file that does not say which store keeps the store in use.
    this.user =
      loaded.storeUnknown === null ? loaded.settings : { ...loaded.settings, ...storeSetting(storeOf(this.user)) };
    this.unknown = loaded.unknown;
    this.log('settings: the settings file changed on disk; read it again');
    this.emit('changed', this.get());
  }

  private save(): void {
    if (this.readOnly) return;
    saveSettings(this.data.settingsFile, this.user, {
      unknown: this.unknown,
      omitStore: this.storeUnknown !== null,
      schemaVersion: this.fileVersion,
    });
    this.fileStamp = this.stampNow();
  }

  /** Records the store the data disk chose: in the settings, the log and (once) the dashboard's notices. */
  private decide(d: StoreDecision, show: boolean): void {
    this.user = { ...this.user, ...storeSetting(d.store) };
    this.storeUnknown = null;
    this.dropPendingNotice();
    const notice = `Berth chose ${STORE_LABEL[d.store]}: ${d.reason}.`;
    // Without a data disk nothing can be hidden: the log is enough.
    if (show) this.noticeList.push(notice);
    this.log(`settings: ${notice}`);
  }

  private dropPendingNotice(): void {
    const i = this.noticeList.findIndex((n) => n.startsWith(PENDING_PREFIX));
    if (i >= 0) this.noticeList.splice(i, 1);
  }

  /** True while the settings file has not said which store to use (decided at the next engine start). */
  get storeUndecided(): boolean {
    return this.storeUnknown !== null;
  }

  /**
   * The store to start dockerd on. When the file could not say, the classic store's contents on
   * the data disk decide (the guest agent reads them before any store is applied), once.
   */
  async storeForBoot(classic: () => Promise<ClassicContents | null>): Promise<ImageStore> {
    if (this.storeUnknown !== null) {
      const contents = await classic();
      this.decide(decideStore(this.storeUnknown, contents), contents !== null);
      this.save();
      this.emit('changed', this.get());
    }
    return storeOf(this.get());
  }

  /** The form's bounds and the checks' limits: the host's share and the data disk's size. */
  limits(): SettingsLimits {
    return hostLimits(this.data.dataDisk, this.share);
  }

  /** The effective settings: the user's, with the administrator's locked values on top. */
  get(): Settings {
    this.refresh();
    return overlay(this.user, this.policy.locked);
  }
  get notices(): readonly string[] {
    return this.noticeList;
  }
  get applying(): boolean {
    return this.busy !== null;
  }
  locked(): SettingKey[] {
    return [...this.policy.locked.keys()];
  }

  view(): SettingsView {
    return { settings: this.get(), locked: this.locked(), notices: [...this.noticeList], applying: this.applying };
  }

  private defaults(): Settings {
    return overlay(defaultSettings(), this.policy.defaults);
  }

  propose(patch: SettingsPatch): Proposal {
    const { changes, errors } = this.evaluate(patch);
    return { changes, restart: strongest(changes.map((c) => c.restart)), errors };
  }

  private evaluate(patch: SettingsPatch): Evaluation {
    return evaluatePatch(patch, {
      current: this.get(),
      user: this.user,
      policy: this.policy,
      share: this.share,
      storeUndecided: this.storeUnknown !== null,
      dataDisk: this.data.dataDisk,
    });
  }

  private claim(what: 'apply' | 'factory reset'): void {
    this.refresh();
    if (what === 'apply' && this.editedProblem) {
      throw new SettingsBusyError(
        `the settings file ${this.data.settingsFile} was edited and cannot be used (${this.editedProblem}): fix it, or run 'berth reset --factory'`,
      );
    }
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
    const { changes, errors, nextUser, decidesStore } = this.evaluate(patch);
    if (errors.length) throw new SettingsValidationError(errors);
    this.claim('apply');
    const progress = (msg: string): void => {
      this.emit('progress', msg);
    };
    try {
      const previousUnknown = this.storeUnknown;
      if (decidesStore) {
        this.storeUnknown = null;
        this.dropPendingNotice();
        this.log(`settings: the image store was chosen by the user: ${storeOf(nextUser)}`);
      }
      if (!changes.length) {
        if (decidesStore) {
          this.user = nextUser;
          this.save();
        }
        progress('Nothing to change.');
        return this.get();
      }
      const previousUser = this.user;
      const previous = this.get();
      progress(`Saving ${changes.map((c) => c.key).join(', ')}.`);
      this.user = nextUser;
      this.save();
      const done = { engine: false, vm: false };
      try {
        await applyToEngine(this.port, previous, this.get(), changes, progress, done);
      } catch (e) {
        const why = (e as Error).message;
        progress(`Applying failed: ${why}. Restoring the previous settings.`);
        this.user = previousUser;
        this.storeUnknown = previousUnknown;
        this.save();
        const restoreError = await restoreEngine(this.port, previous, done, progress);
        throw new ApplyFailedError(
          `applying the settings failed: ${why}; the previous settings were restored${restoreError ? `, but the engine could not be brought back to them: ${restoreError}` : ''}`,
        );
      }
      this.emit('changed', this.get());
      progress('Settings applied.');
      return this.get();
    } finally {
      this.busy = null;
    }
  }

  /** Stops the engine, deletes the VM data (both stores), restores the default settings. */
  async factoryReset(): Promise<Settings> {
    this.claim('factory reset');
    const progress = (msg: string): void => {
      this.emit('progress', msg);
    };
    try {
      progress('Factory reset: stopping the engine and deleting the VM data (both image stores).');
      try {
        await this.port.wipeEngineData(progress);
      } catch (e) {
        throw new ApplyFailedError(`factory reset failed: ${(e as Error).message}; the settings were not changed`);
      }
      this.user = this.defaults();
      this.unknown = {};
      this.fileVersion = CURRENT_SCHEMA_VERSION;
      this.storeUnknown = null;
      this.save();
      // Notices about the old settings file no longer apply; the admin's still does.
      this.noticeList.splice(
        0,
        this.noticeList.length,
        ...this.noticeList.filter((n) => n.startsWith("The administrator's")),
      );
      this.emit('changed', this.get());
      progress('Factory reset done: default settings restored.');
      return this.get();
    } finally {
      this.busy = null;
    }
  }
}
