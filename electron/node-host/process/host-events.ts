// One stream of contract events per host process, shared by the control socket's clients and the
// shell's windows. The EventHub (engine stages, docker events, store and settings progress) runs
// only while someone listens, so a host no client is connected to watches nothing.
import type { EventData, EventName } from '../api/contract.ts';
import type { Broadcast } from '../api/client-context.ts';
import { EventHub } from '../services/event-hub.ts';
import type { DashboardServices } from '../services/services.ts';

type Listener = <N extends EventName>(name: N, data: EventData<N>) => void;

export class HostEvents {
  private readonly listeners = new Set<Listener>();
  private hub: EventHub | null = null;

  constructor(private readonly services: DashboardServices) {}

  /** What ApiHandler sends to every client (e.g. pull progress). */
  readonly broadcast: Broadcast = (name, data) => {
    for (const l of this.listeners) l(name, data);
  };

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    if (!this.hub) {
      this.hub = new EventHub(this.services, this.broadcast);
      this.hub.start();
    }
    return () => {
      if (!this.listeners.delete(listener) || this.listeners.size) return;
      this.hub?.close();
      this.hub = null;
    };
  }

  close(): void {
    this.listeners.clear();
    this.hub?.close();
    this.hub = null;
  }
}
