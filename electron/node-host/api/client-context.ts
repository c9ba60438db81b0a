// One connected client of the contract, whatever carries it (WebSocket, control socket, Electron
// IPC): how events reach it and what it has subscribed to. The transports and the handler share it.
import type { EventData, EventName } from './contract.ts';

export interface ClientContext {
  send<N extends EventName>(name: N, data: EventData<N>): void;
  /** Cleanups keyed by subscription (e.g. "logs:<id>"), run on unsubscribe or disconnect. */
  subscriptions: Map<string, () => void>;
}

export type Broadcast = <N extends EventName>(name: N, data: EventData<N>) => void;
