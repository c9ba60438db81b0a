// The engine controller over a fake VM driver and a fake guest link: a start runs its named
// steps in order with a timeline, and a failure in any step reaches the status (and so
// `berth status`) with the step's name and the error.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { agentPackage } from '../../engine/proto/load.ts';
import type { AgentHandlers } from '../../engine/agent/agent-types.ts';
import { EngineController } from '../../engine/host/engine-controller.ts';
import { DataDir } from '../../engine/host/paths.ts';
import type { VmDriver, VmExit, VmHandle } from '../../engine/host/vm-driver.ts';
import type { ExecResult, GuestLink } from '../../engine/host/guest-link.ts';
import { formatStatus } from '../../electron/node-host/cli/format.ts';
import { START_STAGES } from '../../engine/host/engine-types.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-boot-'));

class FakeVm extends EventEmitter implements VmHandle {
  pid = 4242;
  running = false;
  constructor(private readonly fail: string | null) {
    super();
  }
  async start(): Promise<void> {
    if (this.fail === 'boot') throw new Error('injected: the hypervisor refused the VM');
    this.running = true;
  }
  async stop(): Promise<VmExit> {
    return this.exit(true);
  }
  async attach(): Promise<void> {
    throw new Error('a fake VM is never adopted');
  }
  kill(): void {
    if (this.running) this.exit(true);
  }
  /** QEMU dies under the running engine (killed from outside). */
  crash(): void {
    this.exit(false);
  }
  private exit(expected: boolean): VmExit {
    this.running = false;
    const e: VmExit = { code: 0, signal: null, expected, stderr: '' };
    this.emit('exit', e);
    return e;
  }
  async status(): Promise<string> {
    return this.running ? 'running' : 'shutdown';
  }
  consoleTail(): string[] {
    return ['fake console line'];
  }
  stderrText(): string {
    return '';
  }
  userNetForwards(): undefined {
    return undefined;
  }
}

/** Answers the commands a boot runs; the agent socket leads to a real gRPC server (StartEngine only). */
class FakeLink extends EventEmitter implements GuestLink {
  isClosed = false;
  readonly commands: string[] = [];
  constructor(
    private readonly fail: string | null,
    private readonly agentSocket: string,
    private readonly dockerSocket: string,
  ) {
    super();
  }
  async exec(command: string): Promise<ExecResult> {
    this.commands.push(command);
    const ok = (stdout = ''): ExecResult => ({ code: 0, stdout, stderr: '' });
    if (command.startsWith('systemctl start docker'))
      return this.fail === 'dockerd' ? { code: 1, stdout: '', stderr: 'Job for docker.service failed' } : ok();
    if (command.startsWith('journalctl')) return ok('unable to configure the Docker daemon: injected bad key\n');
    if (command.startsWith('mkdir -p /mnt/data/agent') && this.fail === 'agent')
      return { code: 1, stdout: '', stderr: 'injected: disk full' };
    return ok();
  }
  async run(command: string): Promise<string> {
    const r = await this.exec(command);
    if (r.code !== 0) throw new Error(`'${command}' failed in the VM (exit ${r.code}): ${r.stderr}`);
    return r.stdout;
  }
  async openStreamLocal(guestPath: string): Promise<net.Socket> {
    if (guestPath === '/run/berth/agent.sock') return net.connect(this.agentSocket);
    if (guestPath === '/run/docker.sock') return net.connect(this.dockerSocket);
    throw new Error(`${guestPath} does not answer in the fake VM`);
  }
  async connectTcp(): Promise<net.Socket> {
    throw new Error('no TCP in the fake VM');
  }
  end(): void {
    this.isClosed = true;
    this.emit('close');
  }
}

describe('engine boot steps (fake driver and link)', () => {
  const agentSocket = path.join(tmp, 'agent-server.sock');
  const server = new grpc.Server();
  let startEngineFails = false;
  const refuse = (_call: unknown, cb: grpc.sendUnaryData<never>): void =>
    cb({ code: grpc.status.UNIMPLEMENTED, details: 'not in this fake' });
  const handlers: AgentHandlers = {
    Hello: refuse,
    Status: refuse,
    SetImageStore: refuse,
    Inventory: refuse,
    FactoryReset: refuse,
    DiskUsage: refuse,
    ReclaimStore: refuse,
    FileChanges: refuse,
    MigrateImages: (call) => call.end(),
    Events: (call) => call.end(),
    // As the agent answers when dockerd does not come up: in dockerd's own words.
    StartEngine: (_call, cb) =>
      startEngineFails
        ? cb({
            code: grpc.status.FAILED_PRECONDITION,
            details: 'dockerd did not start: unable to configure the Docker daemon: injected bad key',
          })
        : cb(null, { waited_ms: 5 }),
  };
  server.addService(
    agentPackage(fs.readFileSync('engine/proto/berth_agent.proto', 'utf8')).berth.agent.v1.Agent.service,
    handlers,
  );
  // A Docker API that answers /version, or fails it for the versions step.
  const dockerSocket = path.join(tmp, 'docker-api.sock');
  let versionFails = false;
  const dockerApi = http.createServer((req, res) => {
    if (!req.url?.endsWith('/version')) {
      res.writeHead(404).end('{"message":"not in this fake"}');
      return;
    }
    if (versionFails) {
      res.writeHead(500, { 'Content-Type': 'application/json' }).end('{"message":"injected: dockerd is gone"}');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(
      JSON.stringify({
        Version: '26.1.5',
        ApiVersion: '1.45',
        KernelVersion: '6.12.0',
        Components: [{ Name: 'containerd', Version: '1.7' }],
      }),
    );
  });

  before(async () => {
    // A fake image and agent bundle: the steps read them, the fake VM boots nothing.
    const image = path.join(tmp, 'image');
    fs.mkdirSync(image);
    for (const f of ['vmlinuz', 'initrd.img', 'rootfs.img.zst', 'rootfs.img'])
      fs.writeFileSync(path.join(image, f), 'fake');
    process.env.BERTH_IMAGE_DIR = image;
    process.env.BERTH_AGENT_BUNDLE = path.join(tmp, 'agent.mjs');
    fs.writeFileSync(process.env.BERTH_AGENT_BUNDLE, '// fake agent');
    await new Promise<void>((resolve) => dockerApi.listen(dockerSocket, resolve));
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(`unix:${agentSocket}`, grpc.ServerCredentials.createInsecure(), (e) =>
        e ? reject(e) : resolve(),
      ),
    );
  });
  after(() => {
    server.forceShutdown();
    dockerApi.close();
  });

  let lastVm: FakeVm | null = null;
  let lastLink: FakeLink | null = null;
  const engineFor = (fail: string | null, name: string, extra: { dockerContext?: boolean } = {}): EngineController => {
    const data = new DataDir(path.join(tmp, name));
    data.ensure();
    // A real (empty) data disk, so the disk step finds what it expects.
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', data.dataDisk, '64G']);
    const driver: VmDriver = {
      name: 'fake',
      binary: '/bin/true',
      version: () => 'fake 1',
      create: () => (lastVm = new FakeVm(fail)),
      findLeftover: () => null,
      retire: async () => undefined,
    };
    let boots = 0;
    return new EngineController({
      data,
      driver,
      accelerator: 'tcg',
      log: () => undefined,
      ...extra,
      connectGuest: async () => {
        if (fail === 'ssh') throw new Error('injected: guest SSH did not answer');
        // The guest resets itself while booting: QEMU (-no-reboot) exits 0 before SSH answers.
        if (fail === 'reset-always' || (fail === 'reset-once' && boots++ === 0)) {
          lastVm!.crash();
          throw new Error('the VM stopped while booting');
        }
        versionFails = fail === 'versions';
        startEngineFails = fail === 'dockerd';
        return (lastLink = new FakeLink(fail, agentSocket, dockerSocket));
      },
      // The fake agent server implements no calls, so only the store failure case asks for a store.
      engineConfig:
        fail === 'store'
          ? () => {
              throw new Error('injected: the store could not be decided');
            }
          : undefined,
    });
  };

  it('runs every step in order, with a timeline, and reaches running', async () => {
    const engine = engineFor(null, 'ok');
    const stages: string[] = [];
    engine.on('stage', (s: { stage: string }) => stages.push(s.stage));
    const st = await engine.start();
    assert.equal(st.state, 'running');
    assert.deepEqual(stages, ['image', 'accelerator', 'boot', 'socket', 'agent', 'dockerd', 'store', 'versions']);
    assert.deepEqual(
      st.timeline?.map((t) => t.stage),
      ['accelerator', 'boot', 'socket', 'agent', 'dockerd', 'store', 'versions'],
    );
    assert.equal(st.versions?.docker, '26.1.5');
    assert.equal(st.versions?.kernel, '6.12.0');
    assert.equal(st.versions?.qemu, 'fake 1');
    await engine.stop();
    assert.equal(engine.status().state, 'stopped');
    assert.ok(
      lastLink!.commands.includes('systemctl poweroff --no-block'),
      'the guest is asked to power off (it has no logind for the ACPI button)',
    );
  });

  it('writes the berth docker context as its last step when asked', async () => {
    const engine = engineFor(null, 'context', { dockerContext: true });
    const stages: string[] = [];
    engine.on('stage', (s: { stage: string }) => stages.push(s.stage));
    const config = path.join(tmp, 'docker-config');
    process.env.DOCKER_CONFIG = config;
    try {
      const st = await engine.start();
      assert.equal(st.timeline?.at(-1)?.stage, 'context');
      assert.deepEqual(stages, [...START_STAGES], 'the stages the progress displays count along, in their order');
      const meta = fs.readdirSync(path.join(config, 'contexts', 'meta'));
      assert.equal(meta.length, 1, 'the berth context is written');
    } finally {
      delete process.env.DOCKER_CONFIG;
      await engine.stop();
    }
  });

  it('a VM that dies under the running engine is an error, and nothing of it fires afterwards', async () => {
    const engine = engineFor(null, 'crash');
    await engine.start();
    lastVm!.crash();
    await new Promise((r) => setTimeout(r, 1500)); // past the agent events' resubscribe delay
    const st = engine.status();
    assert.equal(st.state, 'error');
    assert.match(st.error?.message ?? '', /stopped unexpectedly/);
    await engine.stop();
  });

  it('a guest that resets itself while booting gets one more boot, in the progress lines', async () => {
    const engine = engineFor('reset-once', 'reset-once');
    const stages: string[] = [];
    engine.on('stage', (s: { stage: string; detail?: string }) =>
      stages.push(`${s.stage}${s.detail ? `: ${s.detail}` : ''}`),
    );
    const st = await engine.start();
    assert.equal(st.state, 'running');
    assert.ok(
      stages.some((s) => /^retry: QEMU exited \(0\) while booting/.test(s)),
      stages.join('\n'),
    );
    assert.equal(stages.filter((s) => s.startsWith('boot')).length, 2, 'booted twice');
    await engine.stop();
  });

  it('a guest that resets itself twice is the error, with its console lines', async () => {
    const engine = engineFor('reset-always', 'reset-always');
    await assert.rejects(engine.start(), /^Error: ssh: QEMU exited \(0\) while booting/);
    const st = engine.status();
    assert.equal(st.state, 'error');
    assert.deepEqual(st.error?.console, ['fake console line']);
    await engine.stop();
  });

  for (const step of ['boot', 'ssh', 'dockerd', 'agent', 'store', 'versions']) {
    it(`a failure in the ${step} step names the step in the status`, async () => {
      const engine = engineFor(step, `fail-${step}`);
      await assert.rejects(engine.start(), new RegExp(`^Error: ${step}: .*injected`));
      const st = engine.status();
      assert.equal(st.state, 'error');
      assert.equal(st.error?.step, step);
      assert.match(st.error?.message ?? '', /injected/);
      assert.match(
        formatStatus(st),
        new RegExp(`error:\\s+${step}: .*injected`),
        'berth status shows the step and the error',
      );
      await engine.stop();
    });
  }
});
