// The two IPC channels between the preload and the main process, and the envelopes on them.
// Calls answer with an envelope instead of a rejected invoke(), so the renderer sees the engine's
// own message and not Electron's "Error invoking remote method" wrapping.
import { z } from 'zod';

export const IPC_CHANNELS = { call: 'berth:call', event: 'berth:event' } as const;

export const IpcCallSchema = z.object({ name: z.string().min(1).max(100), input: z.unknown() }).strict();
export type IpcCall = z.infer<typeof IpcCallSchema>;

export const IpcReplySchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), output: z.unknown() }),
  z.object({ ok: z.literal(false), error: z.object({ message: z.string(), status: z.number().int().optional() }) }),
]);
export type IpcReply = z.infer<typeof IpcReplySchema>;

export const IpcEventSchema = z.object({ name: z.string(), data: z.unknown() });
export type IpcEvent = z.infer<typeof IpcEventSchema>;
