// The guest agent's API: a gRPC server on AGENT_SOCKET inside the VM (main.ts starts it).
import fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { agentPackage } from '../proto/load.ts';
import agentProto from '../proto/berth_agent.proto';
import { dockerInfo, storeFromInfo } from './docker-api.ts';
import { exclusive, readDaemonText, storeBusy, switchStore } from './store-switch.ts';
import { diskUsage } from './disk-usage.ts';
import { reclaimStore } from './reclaim.ts';
import { inventory } from './inventory.ts';
import { migrateImages } from './migrate.ts';
import { factoryReset } from './factory-reset.ts';
import { bus, publish } from './events.ts';
import { startDockerd } from './dockerd-service.ts';
import { applyFileChanges } from './file-events.ts';
import { ownBuildId } from './bundle-identity.ts';
import { AGENT_SOCKET } from './guest-sockets.ts';
import {
  fromStoreEnum,
  toStoreEnum,
  type AgentEvent,
  type AgentHandlers,
  type MigrateProgress,
  type StatusReply,
} from './agent-types.ts';

export const AGENT_VERSION = '1';

type Unary<Req, Res> = grpc.handleUnaryCall<Req, Res>;

/** Runs an async handler and turns its error into a gRPC error with the message intact. */
function unary<Req, Res>(fn: (req: Req) => Promise<Res>): Unary<Req, Res> {
  return (call, cb) => {
    fn(call.request).then(
      (r) => cb(null, r),
      (e: Error & { grpcCode?: grpc.status }) => {
        cb({
          code: e.grpcCode ?? grpc.status.FAILED_PRECONDITION,
          details: e.message,
          name: 'AgentError',
          message: e.message,
        });
      },
    );
  };
}

async function status(): Promise<StatusReply> {
  const info = await dockerInfo().catch(() => null);
  const ctrVersion = await import('node:child_process').then(({ execFileSync }) => {
    try {
      return execFileSync('containerd', ['--version'], { encoding: 'utf8' }).split(' ')[2] ?? '';
    } catch {
      return '';
    }
  });
  return {
    engine_state: info ? 'running' : 'stopped',
    active_store: info ? toStoreEnum(storeFromInfo(info)) : 'IMAGE_STORE_UNSPECIFIED',
    driver_status: (info?.DriverStatus ?? []).map(([k, v]) => `${k}=${v}`),
    storage_driver: info?.Driver ?? '',
    docker_version: info?.ServerVersion ?? '',
    containerd_version: ctrVersion,
    agent_version: AGENT_VERSION,
    daemon_json: readDaemonText(),
  };
}

// Typed by the generated AgentHandlers: each handler's request and reply are the .proto's.
const handlers: AgentHandlers = {
  Hello: unary(async () => ({ agent_version: AGENT_VERSION, build_id: ownBuildId() ?? '' })),
  StartEngine: unary(async () => ({ waited_ms: (await startDockerd()).waitedMs, daemon_json: readDaemonText() })),
  Status: unary(() => status()),
  SetImageStore: unary(async (req) => {
    // An unknown enum value decodes as its number: fromStoreEnum answers null for it.
    const store = fromStoreEnum(req.store);
    if (!store) throw new Error('SetImageStore needs a store: containerd or classic');
    const r = await exclusive(() => switchStore(store, req.user_daemon_json ?? undefined));
    return { active_store: toStoreEnum(r.store), changed: r.changed, restart_ms: r.restartMs };
  }),
  Inventory: unary(() => inventory()),
  MigrateImages: (call) => {
    const write = (p: Partial<MigrateProgress> & { phase: string; message: string }): void => {
      const full: MigrateProgress = { done: 0, total: 0, migrated: [], classic_bytes: 0, ...p };
      call.write(full);
      publish('progress', { message: `migrate: ${p.message}`, done: full.done, total: full.total });
    };
    // A server stream reports failure by emitting 'error' with a status; destroy() would leave
    // the client waiting forever.
    exclusive(() => migrateImages(write)).then(
      () => call.end(),
      (e: Error) => {
        call.emit('error', { code: grpc.status.FAILED_PRECONDITION, details: e.message });
      },
    );
  },
  FactoryReset: unary(async () => {
    await exclusive(() => factoryReset((msg) => publish('progress', { message: `factory reset: ${msg}` })));
    const info = await dockerInfo();
    publish('store-switched', { store: toStoreEnum(storeFromInfo(info)), message: 'factory reset done' });
    return { active_store: toStoreEnum(storeFromInfo(info)) };
  }),
  DiskUsage: unary((req) => diskUsage(req.mounts_only)),
  ReclaimStore: unary(async (req) => {
    const store = fromStoreEnum(req.store);
    if (!store) throw new Error('ReclaimStore needs a store: containerd or classic');
    // Refused rather than queued: the user asked for this store's state as it is now.
    if (storeBusy())
      throw Object.assign(new Error('a store switch, migration or reset is running: reclaim when it has ended'), {
        grpcCode: grpc.status.ABORTED,
      });
    const r = await exclusive(() =>
      reclaimStore(store, (msg) => publish('progress', { message: `reclaim: ${msg}`, store: req.store })),
    );
    publish('progress', {
      message: `reclaim: done, ${r.images} image(s) and ${r.containers} container(s) deleted`,
      store: req.store,
    });
    return { images: r.images, containers: r.containers, reclaimed_bytes: r.reclaimedBytes };
  }),
  FileChanges: unary((req) => applyFileChanges(req.changes)),
  Events: (call) => {
    const onEvent = (ev: AgentEvent): void => {
      call.write(ev);
    };
    bus.on('event', onEvent);
    call.on('cancelled', () => bus.off('event', onEvent));
    call.on('close', () => bus.off('event', onEvent));
  },
};

/** Serves the API; resolves once it listens (the process ends if it cannot). */
export function serveApi(): Promise<void> {
  const server = new grpc.Server();
  server.addService(agentPackage(agentProto).berth.agent.v1.Agent.service, handlers);
  fs.mkdirSync('/run/berth', { recursive: true, mode: 0o700 });
  fs.rmSync(AGENT_SOCKET, { force: true });
  return new Promise((resolve) =>
    server.bindAsync(`unix://${AGENT_SOCKET}`, grpc.ServerCredentials.createInsecure(), (err) => {
      if (err) {
        console.error(`agent: cannot listen on ${AGENT_SOCKET}: ${err.message}`);
        process.exit(1);
      }
      fs.chmodSync(AGENT_SOCKET, 0o600);
      console.log(`agent ${AGENT_VERSION} listening on ${AGENT_SOCKET}`);
      resolve();
    }),
  );
}
