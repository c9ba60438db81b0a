// Shapes shared by the engine controller, the control API and every front end.
import { z } from 'zod';

export const EngineStateSchema = z.enum(['stopped', 'starting', 'running', 'stopping', 'error']);
export type EngineState = z.infer<typeof EngineStateSchema>;

export const AcceleratorSchema = z.enum(['kvm', 'hvf', 'whpx', 'tcg']);

/** A container's published TCP port that the host forwards (host integration). */
export const PublishedPortSchema = z.object({
  containerId: z.string(),
  container: z.string(),
  containerPort: z.string(),
  hostIp: z.string(),
  hostPort: z.number().int(),
});
/** A published port the host could not listen on: shown, never silently dropped. */
export const PortErrorSchema = PublishedPortSchema.extend({ message: z.string() });
export const FileSharingStatusSchema = z.object({
  mechanism: z.enum(['virtiofs', 'none']),
  /** Host folders mounted at the same path in the VM. */
  shared: z.array(z.string()),
  message: z.string().optional(),
});
export type FileSharingStatus = z.infer<typeof FileSharingStatusSchema>;

const TimelineEntrySchema = z.object({
  stage: z.string(),
  detail: z.string().optional(),
  startMs: z.number(),
  ms: z.number(),
});

export const EngineStatusSchema = z.object({
  state: EngineStateSchema,
  /** The stage of a start in progress, for progress displays. */
  stage: z.string().optional(),
  /** Why the last start failed or the engine stopped: the boot step it happened in, if any. */
  error: z.object({ message: z.string(), console: z.array(z.string()), step: z.string().optional() }).optional(),
  accelerator: AcceleratorSchema.optional(),
  acceleratorReason: z.string().optional(),
  /** True when no hardware virtualization runs the VM (TCG): the UI warns about speed. */
  emulated: z.boolean().optional(),
  dockerSocket: z.string(),
  dataDir: z.string(),
  sshPort: z.number().int().optional(),
  /** The hypervisor process running the VM (QEMU today). */
  vmPid: z.number().int().optional(),
  startedAt: z.string().optional(),
  /** Set when this host took over a VM an earlier host left running (it was not restarted). */
  adopted: z.object({ pid: z.number().int(), at: z.string() }).optional(),
  /** What this host found when it took over: an operation the previous host did not finish, and how it ended. */
  notices: z.array(z.string()).optional(),
  bootMs: z.number().optional(),
  /** The last start, stage by stage (host side): when each began and how long it took. */
  timeline: z.array(TimelineEntrySchema).optional(),
  /** The same start inside the VM (guest monotonic clock): kernel, engine units, dockerd's phases. */
  guestTimeline: z.array(TimelineEntrySchema).optional(),
  ports: z.array(PublishedPortSchema).optional(),
  portErrors: z.array(PortErrorSchema).optional(),
  fileSharing: FileSharingStatusSchema.optional(),
  /** What carries the docker socket, the agent and published ports: the virtio-serial mux or SSH. */
  dataPlane: z.enum(['virtio-serial', 'ssh']).optional(),
  versions: z
    .object({
      docker: z.string().optional(),
      api: z.string().optional(),
      containerd: z.string().optional(),
      runc: z.string().optional(),
      kernel: z.string().optional(),
      qemu: z.string().optional(),
      /** Which QEMU runs and why: BERTH_QEMU, a bundled QEMU 10, or the system's (qemu-runtime.ts). */
      qemuReason: z.string().optional(),
      /** The VM's network, which carries published ports: passt, or QEMU's user network and why. */
      network: z.string().optional(),
    })
    .optional(),
});
export type EngineStatus = z.infer<typeof EngineStatusSchema>;

/**
 * A start's stages in the order they run: the controller's own two (engine-controller.ts), then
 * the boot's steps (EngineBoot.run, typed against this list; 'context' only when Berth keeps
 * the docker context). Progress displays count along it.
 */
export const START_STAGES = [
  'image',
  'accelerator',
  'boot',
  'socket',
  'agent',
  'dockerd',
  'store',
  'versions',
  'context',
] as const;
/** What sends a start back to 'accelerator': one more boot of a guest that reset, or TCG after the accelerator failed. */
export const START_DETOURS = ['retry', 'fallback'] as const;
/**
 * A start that finds the VM an earlier host left running: 'adopt' takes it over (then socket,
 * agent, store and versions as above), 'replace' stops it when it cannot be adopted (then a boot).
 */
export const RESUME_STAGES = ['adopt', 'replace'] as const;
export type StartStageName =
  | (typeof START_STAGES)[number]
  | (typeof START_DETOURS)[number]
  | (typeof RESUME_STAGES)[number];

export const StartStageSchema = z.object({ stage: z.string(), detail: z.string().optional(), elapsedMs: z.number() });
export type StartStage = z.infer<typeof StartStageSchema>;
