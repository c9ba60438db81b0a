// Shapes of Docker objects as the dashboard shows them: trimmed from the Engine API, validated
// on both sides of the contract. Browser-safe (zod only).
import { z } from 'zod';

export const PortSchema = z.object({
  ip: z.string().optional(),
  privatePort: z.number().int(),
  publicPort: z.number().int().optional(),
  type: z.string(),
});

export const ContainerSchema = z.object({
  id: z.string(),
  name: z.string(),
  image: z.string(),
  imageId: z.string(),
  /** Docker's state word: created, running, paused, restarting, removing, exited, dead. */
  state: z.string(),
  /** Docker's human status, e.g. "Up 3 minutes" or "Exited (0) 2 hours ago". */
  status: z.string(),
  ports: z.array(PortSchema),
  /** Unix seconds. */
  created: z.number(),
});
export type Container = z.infer<typeof ContainerSchema>;

export const ImageSchema = z.object({
  id: z.string(),
  repoTags: z.array(z.string()),
  repoDigests: z.array(z.string()),
  created: z.number(),
  size: z.number(),
  /** Names of the containers (any state) created from this image. */
  usedBy: z.array(z.string()),
  dangling: z.boolean(),
});
export type Image = z.infer<typeof ImageSchema>;

export const ImageListSchema = z.object({
  images: z.array(ImageSchema),
  /** Bytes the active store's images take on disk (shared layers counted once). */
  totalBytes: z.number(),
});
export type ImageList = z.infer<typeof ImageListSchema>;

export const LayerProgressSchema = z.object({
  id: z.string(),
  status: z.string(),
  current: z.number().optional(),
  total: z.number().optional(),
});
export type LayerProgress = z.infer<typeof LayerProgressSchema>;

/** Progress of a pull or push, aggregated from the engine's JSON progress messages. */
export const TransferProgressSchema = z.object({
  opId: z.string(),
  kind: z.enum(['pull', 'push']),
  ref: z.string(),
  /** The engine's last overall status line. */
  status: z.string(),
  /** 0–100 over bytes of layers with a known size; null before any size is known. */
  percent: z.number().min(0).max(100).nullable(),
  layers: z.array(LayerProgressSchema),
  done: z.boolean(),
  error: z.string().optional(),
});
export type TransferProgress = z.infer<typeof TransferProgressSchema>;

export const LogChunkSchema = z.object({
  containerId: z.string(),
  stream: z.enum(['stdout', 'stderr']),
  text: z.string(),
});
export type LogChunk = z.infer<typeof LogChunkSchema>;

// Names and values a user types into the Run dialog, checked the way the engine would.
export const ContainerNameSchema = z
  .string()
  .regex(
    /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/,
    'a container name uses letters, digits, _ . - and starts with a letter or digit',
  );
export const PortNumberSchema = z.number().int().min(1, 'ports are 1–65535').max(65535, 'ports are 1–65535');
export const EnvNameSchema = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]*$/,
    'an environment variable name uses letters, digits and _ and does not start with a digit',
  );

export const RunSpecSchema = z.object({
  image: z.string().min(1),
  name: ContainerNameSchema.optional(),
  ports: z.array(
    z.object({ hostPort: PortNumberSchema, containerPort: PortNumberSchema, protocol: z.enum(['tcp', 'udp']) }),
  ),
  env: z.array(z.object({ name: EnvNameSchema, value: z.string() })),
});
export type RunSpec = z.infer<typeof RunSpecSchema>;

/** An image reference the engine accepts: repository[:tag][@digest], lowercase repository path. */
export const ImageRefSchema = z
  .string()
  .trim()
  .min(1, 'enter an image reference')
  .regex(
    /^[a-z0-9]+(?:[._-][a-z0-9]+|:[0-9]+)*(?:\/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/,
    'not a valid image reference (repository[:tag], lowercase)',
  );

/** Pulling a bare repository would fetch every tag: default to :latest as the docker CLI does. */
export function withDefaultTag(ref: string): string {
  if (ref.includes('@')) return ref;
  const lastSlash = ref.lastIndexOf('/');
  return ref.slice(lastSlash + 1).includes(':') ? ref : `${ref}:latest`;
}
