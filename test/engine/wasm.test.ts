// Wasm containers against the real VM, through the host's docker CLI: a WASI hello-world built here
// with Debian's clang and wasi-libc, loaded as a wasi/wasm image (FROM scratch style), refused by
// dockerd while features.wasm is off, run with --runtime=wasm (trixie's crun with WasmEdge) and
// by `docker compose` once it is on, beside the user's own daemon.json keys, and again after a VM
// restart; off again, the runtime is gone and the image stays. Leaves the engine with the feature
// off, as it found it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BerthEnv } from '../helpers/berth-env.ts';
import { hostCommand, type Run } from '../helpers/endpoint-tools.ts';
import { buildHelloWasm, trixieComposePlugin, wasmOciArchive } from '../helpers/wasm-image.ts';

const MIN = 60_000;
const REF = 'berth-test/hello-wasm:1';
const RUN = `docker run --rm --runtime=wasm --platform=wasi/wasm -e WHO=berth ${REF} a b`;
const COMPOSE = `services:
  hello:
    image: ${REF}
    platform: wasi/wasm
    runtime: wasm
    pull_policy: never
    command: ["from", "compose", "!"]
    environment:
      WHO: compose
`;

describe('Wasm containers (real VM)', { timeout: 40 * MIN }, () => {
  const env = new BerthEnv({ shared: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-wasm-'));
  let sh: (cmd: string) => Promise<Run>;
  let userKeys: Record<string, unknown> = {};
  const ok = async (cmd: string): Promise<string> => {
    const r = await sh(cmd);
    assert.equal(r.code, 0, `${cmd}: ${r.stdout}${r.stderr}`);
    return r.stdout;
  };
  const settings = async (...kv: string[]): Promise<number> => {
    const t0 = Date.now();
    const r = await env.cli(['settings', 'set', ...kv]);
    assert.equal(r.code, 0, `settings set ${kv.join(' ')}: ${r.stdout}${r.stderr}`);
    return (Date.now() - t0) / 1000;
  };
  const guest = async (cmd: string): Promise<string> => {
    const r = await env.cli(['shell', cmd]);
    assert.equal(r.code, 0, `${cmd}: ${r.stdout}${r.stderr}`);
    return r.stdout;
  };

  before(async () => {
    const started = await env.start();
    assert.equal(started.code, 0, started.stderr);
    const s = JSON.parse((await env.cli(['settings', 'get'])).stdout) as {
      features?: { wasm?: boolean };
      dockerEngine: Record<string, unknown>;
    };
    assert.equal(s.features?.wasm, false, 'the engine starts with features.wasm off');
    userKeys = s.dockerEngine;
    // The host's CLI as a user points it at Berth, with Debian's Compose plugin beside it.
    const config = path.join(tmp, 'docker-config');
    fs.mkdirSync(path.join(config, 'cli-plugins'), { recursive: true });
    fs.copyFileSync(trixieComposePlugin(), path.join(config, 'cli-plugins', 'docker-compose'));
    fs.chmodSync(path.join(config, 'cli-plugins', 'docker-compose'), 0o755);
    sh = hostCommand({
      ...process.env,
      DOCKER_HOST: `unix://${env.data.dockerSocket}`,
      DOCKER_CONFIG: config,
      DOCKER_CONTEXT: '',
    });
    fs.writeFileSync(path.join(tmp, 'hello-wasm.tar'), await wasmOciArchive(buildHelloWasm(tmp), REF));
    fs.writeFileSync(path.join(tmp, 'compose.yaml'), COMPOSE);
  });
  after(async () => {
    await sh?.(`docker compose -p berth-wasm -f ${tmp}/compose.yaml down; docker image rm ${REF}`).catch(
      () => undefined,
    );
    fs.rmSync(tmp, { recursive: true, force: true });
    await env.dispose();
  });

  it('loads the wasi/wasm image, and dockerd refuses --runtime=wasm while the feature is off', async () => {
    assert.match(await ok(`docker load -i ${tmp}/hello-wasm.tar`), new RegExp(`Loaded image: (docker.io/)?${REF}`));
    assert.equal((await ok(`docker image inspect --format '{{.Os}}/{{.Architecture}}' ${REF}`)).trim(), 'wasi/wasm');
    const r = await sh(RUN);
    assert.notEqual(r.code, 0, r.stdout);
    assert.match(r.stderr, /unknown or invalid runtime name: wasm/, "dockerd's own refusal");
  });

  it("runs the module with --runtime=wasm once the feature is on, the user's daemon.json keys kept", async () => {
    // One Apply & Restart: the feature and a runtime of the user's own in the same "runtimes" key.
    const mine = { ...userKeys, runtimes: { mine: { path: '/usr/bin/runc' } } };
    const secs = await settings('features.wasm=true', `dockerEngine=${JSON.stringify(mine)}`);
    console.log(`# features.wasm=true (Apply & Restart): ${secs.toFixed(0)} s`);
    const runtimes = JSON.parse(await ok(`docker info --format '{{json .Runtimes}}'`)) as Record<string, unknown>;
    assert.ok('wasm' in runtimes && 'mine' in runtimes && 'runc' in runtimes, JSON.stringify(runtimes));
    const t0 = Date.now();
    assert.equal(await ok(RUN), 'hello from wasi, 2 args: a b\nwho=berth\n');
    console.log(`# docker run --runtime=wasm: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    // It ran in a container under crun's WasmEdge handler, not on the host.
    assert.match(await guest('/usr/local/bin/crun-wasm --version'), /\+WASM:wasmedge/);
    console.log(`# on the data disk: ${(await guest('du -sh /mnt/data/berth-features/wasm')).trim()}`);
  });

  it('runs it with docker compose (runtime: wasm, platform: wasi/wasm)', async () => {
    const version = await ok('docker compose version');
    console.log(`# ${version.trim()}`);
    try {
      const out = await ok(
        `docker compose --ansi never -p berth-wasm -f ${tmp}/compose.yaml up --no-log-prefix 2>/dev/null`,
      );
      // Compose clears each attached line with an escape sequence even when not on a terminal.
      const plain = out.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*[A-Za-z]`, 'g'), '');
      assert.match(plain, /hello from wasi, 3 args: from compose !\nwho=compose\n/);
    } finally {
      await ok(`docker compose -p berth-wasm -f ${tmp}/compose.yaml down`);
    }
  });

  it('a VM restart with the feature on links the runtime again (the root disk is new at every boot)', async () => {
    const t0 = Date.now();
    const r = await env.cli(['restart']);
    assert.equal(r.code, 0, `berth restart: ${r.stdout}${r.stderr}`);
    console.log(`# berth restart: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    assert.equal(await ok(RUN), 'hello from wasi, 2 args: a b\nwho=berth\n');
  });

  it('off: the runtime is gone, the image stays, the data disk is freed', async () => {
    const secs = await settings('features.wasm=false', `dockerEngine=${JSON.stringify(userKeys)}`);
    console.log(`# features.wasm=false (Apply & Restart): ${secs.toFixed(0)} s`);
    const r = await sh(RUN);
    assert.notEqual(r.code, 0, r.stdout);
    assert.match(r.stderr, /unknown or invalid runtime name: wasm/);
    assert.equal((await ok(`docker image inspect --format '{{.Os}}/{{.Architecture}}' ${REF}`)).trim(), 'wasi/wasm');
    assert.equal(
      (await guest('test -e /usr/local/bin/crun-wasm || test -e /mnt/data/berth-features/wasm; echo $?')).trim(),
      '1',
    );
    await ok(`docker image rm ${REF}`);
  });
});
