// The control API's messages (unix socket in the data dir): what the CLI, the dashboard host
// and tests exchange with the Berth host process. Every message is validated on arrival.
import { z } from 'zod';
import { EngineStatusSchema, StartStageSchema } from '../../engine/host/engine-types.ts';

export const StreamMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('stage'), stage: StartStageSchema }),
  z.object({ type: z.literal('status'), status: EngineStatusSchema }),
  z.object({ type: z.literal('event'), name: z.string(), data: z.unknown() }),
  z.object({ type: z.literal('error'), message: z.string() }),
]);
export type StreamMessage = z.infer<typeof StreamMessageSchema>;

export const ErrorBodySchema = z.object({ error: z.string() });
