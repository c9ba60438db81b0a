// The agent protocol's types are generated from berth_agent.proto (engine/proto/generate.ts) by
// set-up: this fails when they are stale (the proto changed since). And the generated stubs work end to end: a gRPC
// server typed by AgentHandlers, the host's AgentClient on a unix socket.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { GENERATED_DIR, generateAgentTypes, listFiles } from '../../engine/proto/generate.ts';
import {
  agentPackage,
  descriptorFromText,
  packageDefinition,
  rootFromDescriptor,
  rootFromText,
} from '../../engine/proto/load.ts';
import type { AgentHandlers, StoreInventory } from '../../engine/agent/agent-types.ts';
import { AgentClient } from '../../engine/host/agent-client.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-proto-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('the generated agent types are what the generator makes of berth_agent.proto', () => {
  const fresh = generateAgentTypes(path.join(tmp, 'gen'));
  assert.ok(fresh.includes('berth_agent.ts') && fresh.includes(path.join('berth', 'agent', 'v1', 'Agent.ts')));
  assert.deepEqual(
    listFiles(GENERATED_DIR),
    fresh,
    'the same files: run `node bin/run-ts.js engine/proto/generate.ts`',
  );
  for (const f of fresh) {
    assert.equal(
      fs.readFileSync(path.join(GENERATED_DIR, f), 'utf8'),
      fs.readFileSync(path.join(tmp, 'gen', f), 'utf8'),
      `${f} is stale: run \`node bin/run-ts.js engine/proto/generate.ts\``,
    );
  }
});

const store = (name: StoreInventory['store'], images: number): StoreInventory => ({
  store: name,
  containers: [],
  total_image_bytes: images * 10,
  images: Array.from({ length: images }, (_, i) => ({
    id: `sha256:${i}`,
    refs: [`img:${i}`],
    config_digest: '',
    size: 10,
    created: 0,
    platforms: [],
    attestations: [],
    dangling: false,
  })),
});

/** A gRPC server with these handlers on a unix socket in tmp, and the host's client for it. */
async function serveAgent(
  handlers: AgentHandlers,
  name: string,
): Promise<{ server: grpc.Server; client: AgentClient }> {
  const server = new grpc.Server();
  server.addService(
    agentPackage(fs.readFileSync('engine/proto/berth_agent.proto', 'utf8')).berth.agent.v1.Agent.service,
    handlers,
  );
  const sock = path.join(tmp, name);
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix://${sock}`, grpc.ServerCredentials.createInsecure(), (e) => (e ? reject(e) : resolve())),
  );
  return { server, client: new AgentClient(sock) };
}

test('the generated stubs carry typed calls; the client refuses an inventory without both stores', async () => {
  let hidden = true;
  const refuse = (_call: unknown, cb: grpc.sendUnaryData<never>): void =>
    cb({ code: grpc.status.UNIMPLEMENTED, details: 'not in this test' });
  const handlers: AgentHandlers = {
    Status: refuse,
    FactoryReset: refuse,
    DiskUsage: refuse,
    ReclaimStore: refuse,
    StartEngine: refuse,
    FileChanges: refuse,
    Hello: (_call, cb) => cb(null, { agent_version: '1', build_id: 'ab'.repeat(32) }),
    SetImageStore: (call, cb) => cb(null, { active_store: call.request.store, changed: true, restart_ms: 1234 }),
    Inventory: (_call, cb) =>
      cb(null, {
        active: store('IMAGE_STORE_CONTAINERD', 2),
        ...(hidden ? { hidden: store('IMAGE_STORE_CLASSIC', 1) } : {}),
        disk_free_bytes: 2 ** 40,
      }),
    MigrateImages: (call) => {
      call.write({ phase: 'load', message: 'loading img:0', done: 1, total: 1 });
      call.write({ phase: 'done', message: 'migrated 1 image refs', migrated: ['img:0'], classic_bytes: 10 });
      call.end();
    },
    Events: (call) => call.end(),
  };
  const { server, client } = await serveAgent(handlers, 'agent.sock');
  try {
    await client.waitReady(5_000);
    assert.deepEqual(await client.hello(), { agent_version: '1', build_id: 'ab'.repeat(32) });
    assert.deepEqual(await client.setImageStore('classic', '{}'), {
      active_store: 'IMAGE_STORE_CLASSIC',
      changed: true,
      restart_ms: 1234,
    });
    const inv = await client.inventory();
    assert.equal(inv.active.images.length, 2);
    assert.equal(inv.hidden.store, 'IMAGE_STORE_CLASSIC');
    assert.equal(inv.disk_free_bytes, 2 ** 40, 'uint64 decodes as a number');
    const steps: string[] = [];
    const last = await client.migrate((p) => steps.push(`${p.phase} ${p.done}/${p.total}`));
    assert.deepEqual(steps, ['load 1/1', 'done 0/0'], 'defaults are filled in');
    assert.deepEqual(last.migrated, ['img:0']);
    await assert.rejects(client.status(), /not in this test/, "the agent's error keeps its words");
    hidden = false;
    await assert.rejects(client.inventory(), /the guest agent's inventory lacks the hidden store/);
  } finally {
    client.close();
    server.forceShutdown();
  }
});

test("the agent bundle's JSON descriptor encodes and decodes as the .proto text does", () => {
  const text = fs.readFileSync('engine/proto/berth_agent.proto', 'utf8');
  const method = (root: ReturnType<typeof rootFromText>): grpc.MethodDefinition<object, object> =>
    (packageDefinition(root)['berth.agent.v1.Agent'] as grpc.ServiceDefinition).SetImageStore!;
  const fromText = method(rootFromText(text));
  const fromJson = method(rootFromDescriptor(JSON.parse(JSON.stringify(descriptorFromText(text)))));
  assert.equal(fromJson.path, '/berth.agent.v1.Agent/SetImageStore');
  const bytes = fromText.requestSerialize({ store: 'IMAGE_STORE_CLASSIC', user_daemon_json: '{"debug":true}' });
  assert.deepEqual(
    fromJson.requestSerialize({ store: 'IMAGE_STORE_CLASSIC', user_daemon_json: '{"debug":true}' }),
    bytes,
  );
  const decoded = fromJson.requestDeserialize(bytes) as Record<string, unknown>;
  assert.deepEqual(decoded, fromText.requestDeserialize(bytes));
  assert.equal(decoded.store, 'IMAGE_STORE_CLASSIC', 'enums decode as their names');
  const reply = fromJson.responseDeserialize(
    fromText.responseSerialize({ active_store: 'IMAGE_STORE_CONTAINERD' }),
  ) as Record<string, unknown>;
  assert.deepEqual(
    reply,
    { active_store: 'IMAGE_STORE_CONTAINERD', changed: false, restart_ms: 0 },
    'defaults filled in, int64 as a number',
  );
});

test('an events stream that fails ends its subscription once (a re-subscriber must not double)', async () => {
  const refuse = (_call: unknown, cb: grpc.sendUnaryData<never>): void =>
    cb({ code: grpc.status.UNIMPLEMENTED, details: 'not in this test' });
  let subscriptions = 0;
  const handlers: AgentHandlers = {
    Status: refuse,
    FactoryReset: refuse,
    DiskUsage: refuse,
    ReclaimStore: refuse,
    SetImageStore: refuse,
    Inventory: refuse,
    Hello: refuse,
    StartEngine: refuse,
    FileChanges: refuse,
    MigrateImages: (call) => call.end(),
    // As a guest agent going away does: the stream fails with a status (grpc-js then both ends it and errs).
    Events: (call) => {
      subscriptions++;
      call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'agent going away' });
    },
  };
  const { server, client } = await serveAgent(handlers, 'agent-events.sock');
  try {
    await client.waitReady(5_000);
    // Re-subscribes at each end, as the engine controller does: the count must grow one at a time.
    let ends = 0;
    const subscribe = (): void => {
      client.events(
        () => undefined,
        () => {
          ends++;
          if (ends < 5) subscribe();
        },
      );
    };
    subscribe();
    for (let i = 0; i < 100 && ends < 5; i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 200)); // late duplicate ends would show here
    assert.equal(ends, 5);
    assert.equal(subscriptions, 5, 'one live subscription at a time');
  } finally {
    client.close();
    server.forceShutdown();
  }
});

test('the agent bundle names its build on its first line, as the host and the agent read it', async () => {
  const { buildAgent } = await import('../../engine/agent/build.ts');
  const { buildIdOf, withBuildId } = await import('../../engine/agent/bundle-identity.ts');
  const built = fs.readFileSync((await buildAgent()).file);
  const id = buildIdOf(built);
  assert.ok(id, 'a build id on the first line');
  const rest = built.subarray(built.indexOf(10) + 1);
  assert.equal(id, crypto.createHash('sha256').update(rest).digest('hex'), 'the sha256 of the code after it');
  assert.equal(buildIdOf(withBuildId(Buffer.from('other code'))) === id, false, 'another build, another id');
  assert.equal(buildIdOf(Buffer.from('// fake agent\n')), null, 'a bundle without the line has no id');
});
