// The agent's event bus, streamed to the host by the Events RPC.
import { EventEmitter } from 'node:events';
import type { AgentEvent, ImageStoreEnum } from './agent-types.ts';

export const bus = new EventEmitter();
bus.setMaxListeners(100);

export function publish(kind: string, fields: Partial<Omit<AgentEvent, 'kind' | 'time_ms'>> = {}): void {
  const ev: AgentEvent = {
    kind,
    message: fields.message ?? '',
    store: fields.store ?? ('IMAGE_STORE_UNSPECIFIED' as ImageStoreEnum),
    engine_state: fields.engine_state ?? '',
    done: fields.done ?? 0,
    total: fields.total ?? 0,
    time_ms: Date.now(),
  };
  bus.emit('event', ev);
}
