// Control API routes for the engine's lifecycle.
import type { EngineController } from '../../engine/host/engine-controller.ts';
import type { ControlServer } from './control-server.ts';
import { ndjson } from './http-json.ts';
import type { StartStage } from '../../engine/host/engine-types.ts';
import type { EngineStatus } from '../../engine/host/engine-types.ts';

export function registerEngineRoutes(server: ControlServer, engine: EngineController, onShutdown: () => void): void {
  server.route('GET', '/v1/ping', () => ({ pid: process.pid }));
  server.route('GET', '/v1/status', () => engine.status());

  // Start and restart stream their stages, then the final status (or the error).
  const streamed = (action: () => Promise<EngineStatus>) => async (_req: unknown, res: import('node:http').ServerResponse) => {
    const write = ndjson(res);
    const onStage = (stage: StartStage): void => write({ type: 'stage', stage });
    engine.on('stage', onStage);
    try {
      write({ type: 'status', status: await action() });
    } catch (e) {
      write({ type: 'error', message: (e as Error).message });
    } finally {
      engine.off('stage', onStage);
      res.end();
    }
  };
  server.route('POST', '/v1/engine/start', streamed(() => engine.start()));
  server.route('POST', '/v1/engine/restart', streamed(() => engine.restart()));
  server.route('POST', '/v1/engine/stop', async () => { await engine.stop(); return engine.status(); });
  server.route('POST', '/v1/shutdown', async () => {
    await engine.stop();
    setImmediate(onShutdown);
    return engine.status();
  });

  server.route('GET', '/v1/events', (req, res) => {
    const write = ndjson(res);
    const onStatus = (status: EngineStatus): void => write({ type: 'status', status });
    const onEvent = (name: string, data: unknown): void => write({ type: 'event', name, data });
    write({ type: 'status', status: engine.status() });
    const onAgent = (data: unknown): void => onEvent('agent', data);
    engine.on('status', onStatus);
    engine.on('event', onEvent);
    engine.on('agent-event', onAgent);
    req.on('close', () => { engine.off('status', onStatus); engine.off('event', onEvent); engine.off('agent-event', onAgent); });
  });
}
