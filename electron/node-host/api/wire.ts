// Frames on the dashboard's WebSocket and the control socket (one JSON frame per line), and,
// unchanged, over Electron IPC: calls with an id, their results or errors, and pushed events.
// Every frame is validated on arrival.
import { z } from 'zod';

export const ClientFrameSchema = z.object({
  type: z.literal('call'),
  id: z.number().int(),
  name: z.string(),
  input: z.unknown(),
});
export type ClientFrame = z.infer<typeof ClientFrameSchema>;

export const ServerFrameSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('result'), id: z.number().int(), output: z.unknown() }),
  z.object({
    type: z.literal('error'),
    id: z.number().int(),
    error: z.object({ message: z.string(), status: z.number().int().optional() }),
  }),
  z.object({ type: z.literal('event'), name: z.string(), data: z.unknown() }),
]);
export type ServerFrame = z.infer<typeof ServerFrameSchema>;

/** Paths the headless host serves, shared with the renderer and tests. */
export const API_PATHS = { ws: '/api/ws', call: '/api/call/', contract: '/api/contract' } as const;
export const TOKEN_PARAM = 'token';
export const TOKEN_HEADER = 'x-berth-token';
export const TOKEN_COOKIE = 'berth_token';
