// Following the guest agent's events for as long as the engine runs: a stream that ends (the agent
// restarted, the link dropped) is subscribed again, backing off while the agent stays away.
import type { AgentClient } from './agent-client.ts';
import type { AgentEvent } from '../agent/agent-types.ts';

/** Calls onEvent for each event while current() holds; returns the stop. */
export function followAgentEvents(
  agent: AgentClient,
  onEvent: (e: AgentEvent) => void,
  current: () => boolean,
): () => void {
  let stopped = false;
  let stop: () => void = () => undefined;
  const subscribe = (retryMs: number): void => {
    stop = agent.events(
      (e: AgentEvent) => {
        retryMs = 1000; // the agent answers again: the next drop retries soon
        onEvent(e);
      },
      () => {
        // Asked again when the timer fires: the engine may have stopped (and the agent closed) since.
        if (!stopped && current())
          setTimeout(() => {
            if (!stopped && current()) subscribe(Math.min(retryMs * 2, 10_000));
          }, retryMs);
      },
    );
  };
  subscribe(1000);
  return () => {
    stopped = true;
    stop();
  };
}
