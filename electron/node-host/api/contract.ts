// The one contract of every front end: each call (input and output) and each event, as zod
// schemas. The dashboard (WebSocket), the Electron shell (IPC) and the `berth` command (control
// socket) speak it, so a payload is validated by the same schema on both sides of every transport.
import { z } from 'zod';
import { SettingsPatchInputSchema } from './settings-schema.ts';
import { EngineStatusSchema, StartStageSchema } from '../../../engine/host/engine-types.ts';
import {
  ContainerSchema,
  ImageListSchema,
  ImageRefSchema,
  LogChunkSchema,
  RunSpecSchema,
  TransferProgressSchema,
} from './docker-types.ts';
import {
  ImageStoreSchema,
  MigrateResultSchema,
  StoreInventorySchema,
  StoreProgressSchema,
  StoreStatusSchema,
  StoreSwitchResultSchema,
} from './store-types.ts';
import { DiskUsageSchema, ReclaimPlanSchema, ReclaimResultSchema } from './disk-types.ts';
import { VolumeListSchema, VolumeNameSchema, VolumePruneResultSchema } from './volume-types.ts';
import { ProposalSchema, ResetBodySchema, SettingsProgressSchema, SettingsStateSchema } from './settings-types.ts';

const none = z.object({}).strict();
const byId = z.object({ id: z.string().min(1) }).strict();
const ok = z.object({});
/** Settings as the user wrote them (settings-schema.ts): the schema's keys only, values checked by the service. */
const settingsPatch = SettingsPatchInputSchema;

export const HostInfoSchema = z.object({ pid: z.number().int() });
export const DashboardInfoSchema = z.object({ url: z.string() });

export const SystemInfoSchema = z.object({
  /** Which store dockerd runs with, from the engine itself (docker info's driver status). */
  activeStore: ImageStoreSchema,
  storageDriver: z.string(),
  serverVersion: z.string(),
});
export type SystemInfo = z.infer<typeof SystemInfoSchema>;

export const DeletionSchema = z.object({
  /** Every item the action deletes, with its path or scope, for the confirmation dialog. */
  deletes: z.array(z.string()),
  keeps: z.array(z.string()),
});
export const TroubleshootPlanSchema = z.object({ purge: DeletionSchema, factoryReset: DeletionSchema });
/** Where `troubleshoot.diagnostics` wrote its archive, and what is in it. */
export const DiagnosticsResultSchema = z.object({ file: z.string(), files: z.array(z.string()) });
export type DiagnosticsResult = z.infer<typeof DiagnosticsResultSchema>;
export type TroubleshootPlan = z.infer<typeof TroubleshootPlanSchema>;

const call = <I extends z.ZodType, O extends z.ZodType>(input: I, output: O) => ({ input, output });

export const calls = {
  /** The Berth host answering (its pid): how the CLI tells a running host from a stale socket. */
  'host.info': call(none, HostInfoSchema),
  /** Stops the engine cleanly, then the host process exits (control socket only). */
  'host.shutdown': call(none, EngineStatusSchema),
  /** Serves the dashboard on 127.0.0.1 (once) and answers its URL with the token (control socket only). */
  'dashboard.open': call(none, DashboardInfoSchema),

  'engine.status': call(none, EngineStatusSchema),
  /** 'engine.stage' events report each start stage. */
  'engine.start': call(none, EngineStatusSchema),
  'engine.stop': call(none, EngineStatusSchema),
  'engine.restart': call(none, EngineStatusSchema),
  'system.info': call(none, SystemInfoSchema),

  'containers.list': call(none, z.array(ContainerSchema)),
  'containers.start': call(byId, ok),
  'containers.stop': call(byId, ok),
  'containers.restart': call(byId, ok),
  'containers.remove': call(z.object({ id: z.string().min(1), force: z.boolean() }).strict(), ok),
  /** Live logs: the last `tail` lines, then every new line, as 'containers.log' events to this client. */
  'containers.followLogs': call(
    z.object({ id: z.string().min(1), tail: z.number().int().min(0).max(10_000) }).strict(),
    ok,
  ),
  'containers.unfollowLogs': call(byId, ok),

  'images.list': call(none, ImageListSchema),
  /** Resolves when the pull ends; 'images.progress' events with the same opId report progress. */
  'images.pull': call(
    z.object({ ref: ImageRefSchema, opId: z.string().min(1) }).strict(),
    z.object({ ref: z.string(), id: z.string() }),
  ),
  'images.push': call(
    z.object({ ref: ImageRefSchema, opId: z.string().min(1) }).strict(),
    z.object({ ref: z.string(), digest: z.string().optional() }),
  ),
  'images.tag': call(z.object({ source: z.string().min(1), target: ImageRefSchema }).strict(), ok),
  /** Refused by the engine while a container uses the image, unless force. */
  'images.remove': call(
    z.object({ id: z.string().min(1), force: z.boolean() }).strict(),
    z.object({ removed: z.array(z.string()) }),
  ),
  'images.run': call(RunSpecSchema.strict(), z.object({ id: z.string(), name: z.string() })),

  'store.status': call(none, StoreStatusSchema),
  'store.inventory': call(none, StoreInventorySchema),
  /** Apply & Restart of useContainerdSnapshotter: dockerd restarts, nothing is deleted. */
  'store.switch': call(z.object({ store: ImageStoreSchema }).strict(), StoreSwitchResultSchema),
  /** Copies the classic store's tagged images into the containerd store; 'store.progress' events report it. */
  'store.migrate': call(none, MigrateResultSchema),
  /** What reclaiming the hidden store deletes and frees; refused (400) for the active store. */
  'store.reclaimPlan': call(z.object({ store: ImageStoreSchema }).strict(), ReclaimPlanSchema),
  /**
   * Deletes the hidden store's images, containers and build cache, then trims the data disk so the
   * host's disk file shrinks. Refused (400) for the active store, (409) while a switch or migration runs.
   * 'store.progress' events report it.
   */
  'store.reclaim': call(z.object({ store: ImageStoreSchema }).strict(), ReclaimResultSchema),
  /** Each store's images, containers and build cache, volumes once, the data disk and its host file. */
  'system.diskUsage': call(none, DiskUsageSchema),

  'volumes.list': call(none, VolumeListSchema),
  'volumes.create': call(z.object({ name: VolumeNameSchema.optional() }).strict(), z.object({ name: z.string() })),
  /** Refused (409) while a container of either store uses it. */
  'volumes.remove': call(z.object({ name: z.string().min(1) }).strict(), ok),
  /** Removes the volumes no container of either store uses. */
  'volumes.prune': call(none, VolumePruneResultSchema),

  'settings.get': call(none, SettingsStateSchema),
  'settings.propose': call(settingsPatch, ProposalSchema),
  /** Apply & Restart; 'settings.progress' events report it. Refused (400) when invalid or locked, (409) while another runs. */
  'settings.apply': call(settingsPatch, SettingsStateSchema),
  /** Factory reset of settings and VM data (both stores), without starting the engine again. */
  'settings.reset': call(ResetBodySchema, SettingsStateSchema),

  'troubleshoot.plan': call(none, TroubleshootPlanSchema),
  'troubleshoot.restart': call(none, EngineStatusSchema),
  /** Clean / Purge data: deletes the VM's data disk (both stores, volumes, daemon.json) and boots fresh. */
  'troubleshoot.purge': call(none, EngineStatusSchema),
  'troubleshoot.factoryReset': call(none, EngineStatusSchema),
  /** Writes a diagnostics archive (no keys, no tokens); `output`: an absolute .tar.gz path, else one in the logs dir. */
  'troubleshoot.diagnostics': call(
    z
      .object({
        output: z
          .string()
          .regex(/^(\/|[A-Za-z]:\\).*\.tar\.gz$/, 'an absolute path ending in .tar.gz')
          .optional(),
      })
      .strict(),
    DiagnosticsResultSchema,
  ),
} as const;

export const events = {
  'engine.status': EngineStatusSchema,
  'engine.stage': StartStageSchema,
  'system.info': SystemInfoSchema,
  'containers.changed': z.array(ContainerSchema),
  'containers.log': LogChunkSchema,
  'images.changed': ImageListSchema,
  'images.progress': TransferProgressSchema,
  'store.changed': StoreStatusSchema,
  'volumes.changed': VolumeListSchema,
  'store.progress': StoreProgressSchema,
  'settings.changed': SettingsStateSchema,
  'settings.progress': SettingsProgressSchema,
} as const;

export type Calls = typeof calls;
export type CallName = keyof Calls;
export type CallInput<N extends CallName> = z.input<Calls[N]['input']>;
export type CallOutput<N extends CallName> = z.output<Calls[N]['output']>;
export type Events = typeof events;
export type EventName = keyof Events;
export type EventData<N extends EventName> = z.output<Events[N]>;
/** One event, discriminated by name: what a reducer switches over. */
export type ApiEvent = { [N in EventName]: { name: N; data: EventData<N> } }[EventName];

export const callNames = Object.keys(calls) as CallName[];
export const eventNames = Object.keys(events) as EventName[];
export function isCallName(s: string): s is CallName {
  return Object.hasOwn(calls, s);
}
export function isEventName(s: string): s is EventName {
  return Object.hasOwn(events, s);
}

/**
 * Errors cross every transport as { error: { message, status? } }, the message in the engine's own
 * words; status says refused (400), busy (409), not running (503) as HTTP would.
 */
export const ApiErrorSchema = z.object({
  error: z.object({ message: z.string(), status: z.number().int().optional() }),
});
export type ApiErrorBody = z.infer<typeof ApiErrorSchema>;

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status = 500,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** An error as every transport carries it: the message, and the refusal's kind when it has one. */
export function errorBody(e: unknown): ApiErrorBody['error'] {
  const message = (e as Error).message ?? String(e);
  return e instanceof ApiError ? { message, status: e.status } : { message };
}

/** The message every call to a provider that has not landed yet answers with. */
export function notAvailable(feature: string): ApiError {
  return new ApiError(`${feature} is not available yet in this build of Berth`, 501);
}

/** Formats a zod failure as one line naming each bad field. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
}

/** The contract as JSON Schema (`berth api schema`, GET /api/contract): every call's input and output, every event. */
export function contractJsonSchema(): {
  calls: Record<CallName, { input: unknown; output: unknown }>;
  events: Record<EventName, unknown>;
} {
  const schema = (s: z.ZodType): unknown => z.toJSONSchema(s, { unrepresentable: 'any', io: 'input' });
  return {
    calls: Object.fromEntries(
      callNames.map((n) => [n, { input: schema(calls[n].input), output: schema(calls[n].output) }]),
    ) as Record<CallName, { input: unknown; output: unknown }>,
    events: Object.fromEntries(eventNames.map((n) => [n, schema(events[n])])) as Record<EventName, unknown>,
  };
}
