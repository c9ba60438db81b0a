// The host's client for the guest agent (gRPC over the SSH-forwarded unix socket), on the stub
// generated from berth_agent.proto. Replies come from the VM: decoding checks their wire types,
// and what the generated types cannot promise (a message field present) is checked here.
import fs from 'node:fs';
import { berthPath } from '../shared/berth-root.ts';
import * as grpc from '@grpc/grpc-js';
import { agentPackage } from '../proto/load.ts';
import {
  toStoreEnum,
  type AgentEvent,
  type AgentStub,
  type DecodedInventoryReply,
  type DiskUsageReply,
  type FactoryResetReply,
  type InventoryReply,
  type MigrateProgress,
  type ReclaimStoreReply,
  type SetImageStoreReply,
  type StatusReply,
  type StoreName,
  type HelloReply,
  type StartEngineReply,
} from '../agent/agent-types.ts';
import type { FileChange } from '../proto/generated/berth/agent/v1/FileChange.ts';
import type { FileChangesReply__Output as FileChangesReply } from '../proto/generated/berth/agent/v1/FileChangesReply.ts';

const PROTO = berthPath('engine', 'proto', 'berth_agent.proto');

/** A call that waits for the channel to connect instead of failing while it does. */
const waitForReady = (): grpc.Metadata => new grpc.Metadata({ waitForReady: true });

type Done<T> = (err: grpc.ServiceError | null, value?: T) => void;

export class AgentClient {
  private readonly stub: AgentStub;

  constructor(socketPath: string) {
    const { Agent } = agentPackage(fs.readFileSync(PROTO, 'utf8')).berth.agent.v1;
    // A local socket: reconnect within a fraction of a second (grpc-js waits 1 s and more by
    // default), so a start or a VM restart does not sit out a back-off meant for networks.
    this.stub = new Agent(`unix://${socketPath}`, grpc.credentials.createInsecure(), {
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 2000,
    });
  }

  waitReady(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) =>
      this.stub.waitForReady(Date.now() + timeoutMs, (err) =>
        err ? reject(new Error(`guest agent did not answer: ${err.message}`)) : resolve(),
      ),
    );
  }

  /** One unary call with a deadline; the agent's error keeps its own words. */
  private unary<T>(timeoutMs: number, call: (options: grpc.CallOptions, done: Done<T>) => void): Promise<T> {
    return new Promise((resolve, reject) => {
      call({ deadline: Date.now() + timeoutMs }, (err, value) => {
        // The gRPC status travels with the agent's words: refusals keep their kind on the host.
        if (err) reject(Object.assign(new Error(err.details || err.message), { grpcCode: err.code }));
        else if (value === undefined) reject(new Error('the guest agent sent an empty reply'));
        else resolve(value);
      });
    });
  }

  /** Waits for the agent to answer (the start asks as soon as the data port is up). */
  hello(): Promise<HelloReply> {
    return this.unary(60_000, (o, done) => this.stub.Hello({}, waitForReady(), o, done));
  }

  /** Resolves once dockerd is ready in the VM (it may take minutes under emulation). */
  startEngine(): Promise<StartEngineReply> {
    return this.unary(600_000, (o, done) => this.stub.StartEngine({}, waitForReady(), o, done));
  }

  status(): Promise<StatusReply> {
    return this.unary(30_000, (o, done) => this.stub.Status({}, o, done));
  }

  setImageStore(store: StoreName, userDaemonJson?: string): Promise<SetImageStoreReply> {
    const req =
      userDaemonJson === undefined
        ? { store: toStoreEnum(store) }
        : { store: toStoreEnum(store), user_daemon_json: userDaemonJson };
    return this.unary(900_000, (o, done) => this.stub.SetImageStore(req, o, done));
  }

  async inventory(): Promise<InventoryReply> {
    const inv = await this.unary<DecodedInventoryReply>(120_000, (o, done) => this.stub.Inventory({}, o, done));
    const { active, hidden } = inv;
    if (!active || !hidden)
      throw new Error(`the guest agent's inventory lacks the ${active ? 'hidden' : 'active'} store`);
    return { ...inv, active, hidden };
  }

  diskUsage(mountsOnly = false): Promise<DiskUsageReply> {
    return this.unary(300_000, (o, done) => this.stub.DiskUsage({ mounts_only: mountsOnly }, o, done));
  }

  reclaimStore(store: StoreName): Promise<ReclaimStoreReply> {
    return this.unary(900_000, (o, done) => this.stub.ReclaimStore({ store: toStoreEnum(store) }, o, done));
  }

  /** Host-side changes in shared folders, for the guest's inotify watchers (share-events.ts). */
  fileChanges(changes: FileChange[]): Promise<FileChangesReply> {
    return this.unary(10_000, (o, done) => this.stub.FileChanges({ changes }, o, done));
  }

  factoryReset(): Promise<FactoryResetReply> {
    return this.unary(900_000, (o, done) => this.stub.FactoryReset({}, o, done));
  }

  /** Streams migration progress; resolves with the final message. */
  migrate(onProgress: (p: MigrateProgress) => void): Promise<MigrateProgress> {
    return new Promise((resolve, reject) => {
      const call = this.stub.MigrateImages({});
      let last: MigrateProgress | null = null;
      call.on('data', (p: MigrateProgress) => {
        last = p;
        onProgress(p);
      });
      call.on('error', (e: grpc.ServiceError) =>
        reject(Object.assign(new Error(e.details || e.message), { grpcCode: e.code })),
      );
      call.on('end', () => (last ? resolve(last) : reject(new Error('migration ended without a result'))));
    });
  }

  /**
   * Subscribes to agent events; returns a function that cancels the stream. onEnd runs once per
   * subscription: grpc-js ends a failed stream *and* emits its error, and a caller that
   * re-subscribes on each would double its subscriptions at every failure (the host ran out of
   * memory that way while the guest agent was down).
   */
  events(onEvent: (e: AgentEvent) => void, onEnd: () => void = () => {}): () => void {
    const call = this.stub.Events({});
    let ended = false;
    const end = (): void => {
      if (!ended) {
        ended = true;
        onEnd();
      }
    };
    call.on('data', onEvent);
    call.on('error', end);
    call.on('end', end);
    return () => call.cancel();
  }

  close(): void {
    this.stub.close();
  }
}
