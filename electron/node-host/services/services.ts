// What the dashboard host needs from the rest of Berth. The engine and Docker exist today; the
// image-store and settings providers are written by other services and plugged in when they
// land: until then their calls answer "not available yet" (never invented data).
import type { EngineStatus, StartStage } from '../../../engine/host/engine-types.ts';
import type { Container, ImageList, LogChunk, RunSpec, TransferProgress } from '../api/docker-types.ts';
import type { SystemInfo, TroubleshootPlan, DiagnosticsResult } from '../api/contract.ts';
import type {
  ImageStore,
  MigrateResult,
  StoreInventory,
  StoreProgress,
  StoreStatus,
  StoreSwitchResult,
} from '../api/store-types.ts';
import type { Proposal, Settings, SettingsLimits, SettingsView } from '../api/settings-types.ts';
import type { DiskUsage, ReclaimPlan, ReclaimResult } from '../api/disk-types.ts';
import type { Volume } from '../api/volume-types.ts';

/** A settings patch as a front end sent it (nested or dotted keys); the settings service validates it. */
export type SettingsPatchInput = Record<string, unknown>;

/** The slice of EngineController the dashboard uses (an EngineController satisfies it). */
export interface EngineLike {
  status(): EngineStatus;
  start(): Promise<EngineStatus>;
  stop(): Promise<void>;
  restart(): Promise<EngineStatus>;
  on(event: 'status', listener: (s: EngineStatus) => void): unknown;
  on(event: 'stage', listener: (s: StartStage) => void): unknown;
  off(event: 'status', listener: (s: EngineStatus) => void): unknown;
  off(event: 'stage', listener: (s: StartStage) => void): unknown;
}

/** Docker operations on the active store (dockerode on the forwarded socket in production). */
export interface DockerService {
  info(): Promise<SystemInfo>;
  listContainers(): Promise<Container[]>;
  startContainer(id: string): Promise<void>;
  stopContainer(id: string): Promise<void>;
  restartContainer(id: string): Promise<void>;
  removeContainer(id: string, force: boolean): Promise<void>;
  /** Streams the last `tail` lines then new ones until the returned stop function is called. */
  followLogs(id: string, tail: number, onChunk: (c: LogChunk) => void): Promise<() => void>;
  listImages(): Promise<ImageList>;
  pull(ref: string, onProgress: (p: TransferProgress) => void, opId: string): Promise<{ ref: string; id: string }>;
  push(ref: string, onProgress: (p: TransferProgress) => void, opId: string): Promise<{ ref: string; digest?: string }>;
  tag(source: string, target: string): Promise<void>;
  removeImage(id: string, force: boolean): Promise<string[]>;
  run(spec: RunSpec): Promise<{ id: string; name: string }>;
  /** Calls onChange for each container/image event until stopped; ends (onEnd) when dockerd goes away. */
  watch(onChange: (kind: 'container' | 'image') => void, onEnd: (err?: Error) => void): Promise<() => void>;
}

export type StoreEvent = { type: 'changed'; status: StoreStatus } | { type: 'progress'; progress: StoreProgress };

/** The image-store service (lead engineer, over the guest agent). */
export interface StoreProvider {
  status(): Promise<StoreStatus>;
  /** The active store's images with their platform variants (containerd store: from the image index). */
  inventory(): Promise<StoreInventory>;
  /** Makes `store` active (daemon.json + dockerd restart); the other store is hidden, never deleted. Answers once dockerd runs it. */
  switch(store: ImageStore): Promise<StoreSwitchResult>;
  /** Copies the hidden store's images into the active one. */
  migrate(): Promise<MigrateResult>;
  /** Each store's images, containers and build cache; volumes once; the data disk and its host file. */
  diskUsage?(): Promise<DiskUsage>;
  /** What reclaiming the hidden `store` deletes; refused (400) for the active store. */
  reclaimPlan?(store: ImageStore): Promise<ReclaimPlan>;
  /** Deletes the hidden store's contents and trims the disk; refused (400) active, (409) busy. */
  reclaim?(store: ImageStore): Promise<ReclaimResult>;
  subscribe?(listener: (e: StoreEvent) => void): () => void;
}

/** Volumes with their users in either store (a VolumeService over dockerd and the guest agent). */
export interface VolumeProvider {
  list(): Promise<Volume[]>;
  create(name?: string): Promise<{ name: string }>;
  /** Refused (409) while a container of either store uses it. */
  remove(name: string): Promise<void>;
  prune(): Promise<{ removed: string[]; reclaimedBytes: number }>;
}

/**
 * The settings service (electron/node-host/settings/service.ts: a SettingsService fits as it is). Its
 * factory reset stops the engine and deletes the VM data itself; the dashboard starts it again.
 */
export interface SettingsProvider {
  view(): SettingsView | Promise<SettingsView>;
  propose(patch: SettingsPatchInput): Proposal | Promise<Proposal>;
  /** Saves and restarts what the change needs, emitting 'progress' messages, then 'changed'. */
  apply(patch: SettingsPatchInput): Promise<Settings>;
  factoryReset(): Promise<Settings>;
  on(event: 'progress', listener: (message: string) => void): unknown;
  on(event: 'changed', listener: (s: Settings) => void): unknown;
  off(event: 'progress', listener: (message: string) => void): unknown;
  off(event: 'changed', listener: (s: Settings) => void): unknown;
}

/** What only the Berth host process can do: its control socket's ApiHandler has it, web pages' and windows' do not. */
export interface HostControl {
  readonly pid: number;
  /** Stops the engine; the process exits afterwards. */
  shutdown(): Promise<EngineStatus>;
  /** Serves the dashboard (once) and answers its URL with the token. */
  openDashboard(): Promise<{ url: string }>;
}

/** Destructive troubleshooting on the engine's data, described before it is done. */
export interface TroubleshootService {
  plan(): TroubleshootPlan;
  /** Stops the engine, deletes the data disk, starts again on a fresh one. */
  purge(): Promise<EngineStatus>;
  /** The settings service's factory reset (settings + VM data), then a fresh start. */
  factoryReset(settings: SettingsProvider): Promise<EngineStatus>;
  /** One archive for a bug report: logs, guest journal, docker info, settings, timeline; no keys or tokens. */
  diagnostics(output: string | undefined, settings?: SettingsProvider): Promise<DiagnosticsResult>;
}

export interface DashboardServices {
  engine: EngineLike;
  docker: DockerService;
  troubleshoot: TroubleshootService;
  limits: SettingsLimits;
  store?: StoreProvider;
  settings?: SettingsProvider;
  volumes?: VolumeProvider;
}
