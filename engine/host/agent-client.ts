// The host's client for the guest agent (gRPC over the SSH-forwarded unix socket).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import type { z } from 'zod';
import { packageFromText } from '../proto/load.ts';
import {
  AgentEvent, FactoryResetReply, InventoryReply, MigrateProgress, SetImageStoreReply, StatusReply, toStoreEnum, type StoreName,
} from '../agent/messages.ts';

const PROTO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../proto/berth_agent.proto');

type AgentStub = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

export class AgentClient {
  private readonly stub: AgentStub;

  constructor(socketPath: string) {
    const pkg = grpc.loadPackageDefinition(packageFromText(fs.readFileSync(PROTO, 'utf8'))) as unknown as {
      berth: { agent: { v1: { Agent: grpc.ServiceClientConstructor } } };
    };
    this.stub = new pkg.berth.agent.v1.Agent(`unix://${socketPath}`, grpc.credentials.createInsecure()) as unknown as AgentStub;
  }

  waitReady(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => this.stub.waitForReady(Date.now() + timeoutMs, (err) => (err ? reject(new Error(`guest agent did not answer: ${err.message}`)) : resolve())));
  }

  private unary<T>(method: string, req: object, schema: z.ZodType<T>, timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      (this.stub[method] as (r: object, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, v: unknown) => void) => void)
        .call(this.stub, req, { deadline: Date.now() + timeoutMs }, (err, value) => {
          if (err) return reject(new Error(err.details || err.message));
          const parsed = schema.safeParse(value);
          if (!parsed.success) return reject(new Error(`unexpected ${method} reply from the guest agent: ${parsed.error.message}`));
          resolve(parsed.data);
        });
    });
  }

  status(): Promise<StatusReply> { return this.unary('Status', {}, StatusReply, 30_000); }

  setImageStore(store: StoreName, userDaemonJson?: string): Promise<SetImageStoreReply> {
    const req = userDaemonJson === undefined ? { store: toStoreEnum(store) } : { store: toStoreEnum(store), user_daemon_json: userDaemonJson };
    return this.unary('SetImageStore', req, SetImageStoreReply, 900_000);
  }

  inventory(): Promise<InventoryReply> { return this.unary('Inventory', {}, InventoryReply, 120_000); }

  factoryReset(): Promise<z.infer<typeof FactoryResetReply>> { return this.unary('FactoryReset', {}, FactoryResetReply, 900_000); }

  /** Streams migration progress; resolves with the final message. */
  migrate(onProgress: (p: MigrateProgress) => void): Promise<MigrateProgress> {
    return new Promise((resolve, reject) => {
      const call = (this.stub.MigrateImages as (r: object) => grpc.ClientReadableStream<unknown>).call(this.stub, {});
      let last: MigrateProgress | null = null;
      call.on('data', (m: unknown) => {
        const p = MigrateProgress.safeParse(m);
        if (p.success) { last = p.data; onProgress(p.data); }
      });
      call.on('error', (e: grpc.ServiceError) => reject(new Error(e.details || e.message)));
      call.on('end', () => (last ? resolve(last) : reject(new Error('migration ended without a result'))));
    });
  }

  /** Subscribes to agent events; returns a function that cancels the stream. */
  events(onEvent: (e: AgentEvent) => void, onEnd: () => void = () => {}): () => void {
    const call = (this.stub.Events as (r: object) => grpc.ClientReadableStream<unknown>).call(this.stub, {});
    call.on('data', (m: unknown) => { const e = AgentEvent.safeParse(m); if (e.success) onEvent(e.data); });
    call.on('error', () => onEnd());
    call.on('end', onEnd);
    return () => call.cancel();
  }

  close(): void { this.stub.close(); }
}
