// Transport-independent implementation of the contract's calls over DashboardServices. The
// WebSocket, the HTTP endpoint, Electron IPC and the control socket all go through handle(),
// which checks the input and the output against the contract, so a bug here cannot send a
// malformed answer.
import type { Broadcast, ClientContext } from '../api/client-context.ts';
import { ApiError, calls, describeIssues, isCallName, notAvailable, type CallName } from '../api/contract.ts';
import { SettingsBusyError, SettingsValidationError } from '../settings/service.ts';
import type { DashboardServices, HostControl, SettingsProvider, StoreProvider, VolumeProvider } from './services.ts';

type Impl = {
  [N in CallName]: (input: import('zod').output<(typeof calls)[N]['input']>, ctx: ClientContext) => Promise<unknown>;
};

export class ApiHandler {
  private impl: Impl;

  constructor(
    private readonly s: DashboardServices,
    private readonly broadcast: Broadcast,
    hostControl?: HostControl,
  ) {
    const docker = (): DashboardServices['docker'] => {
      const st = s.engine.status();
      if (st.state !== 'running') throw new ApiError(`the Docker Engine is not running (state: ${st.state})`, 503);
      return s.docker;
    };
    const store = (): StoreProvider => {
      if (!s.store) throw notAvailable('The image-store service');
      return s.store;
    };
    const volumes = (): VolumeProvider => {
      docker();
      if (!s.volumes) throw notAvailable('The volumes service');
      return s.volumes;
    };
    /** A store provider's optional part, or "not available" naming it. */
    const storePart = <K extends 'diskUsage' | 'reclaimPlan' | 'reclaim'>(k: K): NonNullable<StoreProvider[K]> => {
      docker();
      const fn = store()[k];
      if (!fn) throw notAvailable(`The image store's ${k}`);
      return fn.bind(store()) as NonNullable<StoreProvider[K]>;
    };
    const volumesChanged = async (): Promise<void> => {
      this.broadcast('volumes.changed', await volumes().list());
    };
    const settings = (): SettingsProvider => {
      if (!s.settings) throw notAvailable('The settings service');
      return s.settings;
    };
    const host = (): HostControl => {
      if (!hostControl) throw new ApiError("only the Berth host's control socket answers this call", 403);
      return hostControl;
    };
    const state = async () => ({ ...(await settings().view()), limits: s.limits });
    const done = {};
    this.impl = {
      'host.info': async () => ({ pid: host().pid }),
      'host.shutdown': () => host().shutdown(),
      'dashboard.open': () => host().openDashboard(),

      'engine.status': async () => s.engine.status(),
      'engine.start': () => s.engine.start(),
      'engine.stop': async () => {
        await s.engine.stop();
        return s.engine.status();
      },
      'engine.restart': () => s.engine.restart(),
      'system.info': () => docker().info(),

      'containers.list': () => docker().listContainers(),
      'containers.start': async ({ id }) => {
        await docker().startContainer(id);
        return done;
      },
      'containers.stop': async ({ id }) => {
        await docker().stopContainer(id);
        return done;
      },
      'containers.restart': async ({ id }) => {
        await docker().restartContainer(id);
        return done;
      },
      'containers.remove': async ({ id, force }) => {
        await docker().removeContainer(id, force);
        return done;
      },
      'containers.followLogs': async ({ id, tail }, ctx) => {
        const key = `logs:${id}`;
        ctx.subscriptions.get(key)?.();
        const stop = await docker().followLogs(id, tail, (chunk) => ctx.send('containers.log', chunk));
        ctx.subscriptions.set(key, stop);
        return done;
      },
      'containers.unfollowLogs': async ({ id }, ctx) => {
        ctx.subscriptions.get(`logs:${id}`)?.();
        ctx.subscriptions.delete(`logs:${id}`);
        return done;
      },

      'images.list': () => docker().listImages(),
      // Progress goes to every client, so a second window shows the same pull.
      'images.pull': ({ ref, opId }) => docker().pull(ref, (p) => this.broadcast('images.progress', p), opId),
      'images.push': ({ ref, opId }) => docker().push(ref, (p) => this.broadcast('images.progress', p), opId),
      'images.tag': async ({ source, target }) => {
        await docker().tag(source, target);
        return done;
      },
      'images.remove': async ({ id, force }) => ({ removed: await docker().removeImage(id, force) }),
      'images.run': (spec) => docker().run(spec),

      'store.status': () => store().status(),
      'store.inventory': () => store().inventory(),
      'store.switch': ({ store: target }) => store().switch(target),
      'store.migrate': () => store().migrate(),
      'store.reclaimPlan': ({ store: target }) => storePart('reclaimPlan')(target),
      'store.reclaim': ({ store: target }) => storePart('reclaim')(target),
      'system.diskUsage': () => storePart('diskUsage')(),

      'volumes.list': () => volumes().list(),
      'volumes.create': async ({ name }) => {
        const r = await volumes().create(name);
        await volumesChanged();
        return r;
      },
      'volumes.remove': async ({ name }) => {
        await volumes().remove(name);
        await volumesChanged();
        return done;
      },
      'volumes.prune': async () => {
        const r = await volumes().prune();
        await volumesChanged();
        return r;
      },

      'settings.get': state,
      'settings.propose': async (patch) => settings().propose(patch),
      'settings.apply': async (patch) => {
        await settings().apply(patch);
        return state();
      },
      'settings.reset': async () => {
        await settings().factoryReset();
        return state();
      },

      'troubleshoot.plan': async () => s.troubleshoot.plan(),
      'troubleshoot.restart': () => s.engine.restart(),
      'troubleshoot.purge': () => s.troubleshoot.purge(),
      'troubleshoot.factoryReset': () => s.troubleshoot.factoryReset(settings()),
      'troubleshoot.diagnostics': ({ output }) => s.troubleshoot.diagnostics(output, s.settings),
    };
  }

  /** Validates, runs and validates again; every failure is an ApiError with a message for the UI. */
  async handle(name: string, input: unknown, ctx: ClientContext): Promise<unknown> {
    if (!isCallName(name)) throw new ApiError(`no such call: ${name}`, 404);
    const spec = calls[name];
    const parsed = spec.input.safeParse(input ?? {});
    if (!parsed.success) throw new ApiError(`bad input for ${name}: ${describeIssues(parsed.error)}`, 400);
    let output: unknown;
    try {
      output = await (this.impl[name] as (i: unknown, c: ClientContext) => Promise<unknown>)(parsed.data, ctx);
    } catch (e) {
      throw asApiError(e);
    }
    const checked = spec.output.safeParse(output);
    if (!checked.success) throw new ApiError(`${name} produced an invalid answer: ${describeIssues(checked.error)}`);
    return checked.data;
  }
}

/** Refusals keep their kind across transports: invalid or locked settings (400), busy (409). */
function asApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  const message = (e as Error).message ?? String(e);
  if (e instanceof SettingsValidationError) return new ApiError(message, 400);
  if (e instanceof SettingsBusyError) return new ApiError(message, 409);
  return new ApiError(message);
}
