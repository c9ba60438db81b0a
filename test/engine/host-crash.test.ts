// The engine outlives its host (real VM): a Berth host killed with SIGKILL while idle, during a
// store switch and under an attached `docker run`; the next command's host adopts the running VM
// (containers keep running, published ports answer again) and finishes the switch it was cut off
// in. Then one host per data dir: two `berth start` at once, a host that only applied settings,
// and a leftover QEMU that ignores the power button (killed, waited for, replaced).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BerthEnv, waitFor } from '../helpers/berth-env.ts';
import { hostCommand, type Run } from '../helpers/endpoint-tools.ts';
import { buildScratch } from '../helpers/docker-ops.ts';
import { freeTcpPort } from '../../engine/host/vm-files.ts';
import { qemuBinary } from '../../engine/host/qemu-args.ts';
import { commandLine, pidAlive } from '../../engine/host/process-watch.ts';

const MIN = 60_000;

describe('the engine outlives its host (real VM)', { timeout: 30 * MIN }, () => {
  const env = new BerthEnv();
  let sh: (cmd: string) => Promise<Run>;
  const hostPidNow = (): number => Number(fs.readFileSync(path.join(env.data.runDir, 'host.pid'), 'utf8'));
  /** The QEMU processes running on this data dir. */
  const qemus = (): number[] =>
    fs
      .readdirSync('/proc')
      .map(Number)
      .filter((p) => p > 1 && pidAlive(p))
      .filter((p) => {
        const a = commandLine(p);
        return !!a && a.some((x) => x.includes('qemu-system')) && a.some((x) => x.includes(env.data.vmDir));
      });
  const killHost = (): void => {
    process.kill(hostPidNow(), 'SIGKILL');
  };
  const httpStatus = (port: number): Promise<string> =>
    sh(`curl -s -m 5 -o /dev/null -w '%{http_code}' http://127.0.0.1:${port}/marker`).then((r) => r.stdout);

  before(async () => {
    env.env.DOCKER_HOST = `unix://${env.data.dockerSocket}`;
    env.env.BERTH_STALE_VM_GRACE_MS = '3000';
    sh = hostCommand(env.env);
    const r = await env.start();
    assert.equal(r.code, 0, `berth start failed:\n${r.stdout}\n${r.stderr}`);
    await buildScratch(env.docker(), 'crash/a:1', 'a');
  });
  after(async () => {
    await env.dispose();
  });

  it('kill -9 of an idle host: the next command adopts the VM; the container keeps running and its port answers', async () => {
    const port = await freeTcpPort();
    const run = await sh(`docker run -d --name web -p 127.0.0.1:${port}:80 crash/a:1 httpd -f -p 80 -h /`);
    assert.equal(run.code, 0, run.stderr);
    await waitFor('the published port', async () => ((await httpStatus(port)) === '200' ? true : undefined), 60_000);
    const startedAt = (await sh('docker inspect -f "{{.State.StartedAt}}" web')).stdout.trim();
    const qemuBefore = qemus();
    assert.equal(qemuBefore.length, 1);

    killHost();
    const st = await env.cli(['status']);
    assert.equal(st.code, 0, st.stderr);
    assert.match(st.stdout, new RegExp(`adopted: +a running engine \\(QEMU pid ${qemuBefore[0]}\\)`));
    assert.match(st.stderr, /adopted a running engine/, 'the command that brought the host back says so');
    assert.deepEqual(qemus(), qemuBefore, 'the same QEMU, no other');
    const inspect = (await sh('docker inspect -f "{{.State.Running}} {{.State.StartedAt}}" web')).stdout.trim();
    assert.equal(inspect, `true ${startedAt}`, 'the container was not restarted');
    // The takeover waits for the ports' first reconciliation; a loaded machine may need a moment more.
    const t0 = Date.now();
    await waitFor(
      'the published port after the takeover',
      async () => ((await httpStatus(port)) === '200' ? true : undefined),
      15_000,
    );
    console.log(`the published port answered ${Date.now() - t0} ms after the command returned`);
    const json = await env.status();
    assert.equal(json.adopted?.pid, qemuBefore[0]);
    await sh('docker rm -f web');
  });

  it("kill -9 during a store switch: the next command finishes it; the store is the settings file's and both stores are intact", async () => {
    const switching = env.cli(['store', 'use', 'classic']);
    // Killed once the switch is under way (written down in the journal), while dockerd restarts.
    await waitFor(
      'the switch to start',
      async () => (fs.existsSync(path.join(env.data.runDir, 'operation.json')) ? true : undefined),
      60_000,
    );
    await new Promise((r) => setTimeout(r, 1500));
    killHost();
    const cut = await switching;
    assert.notEqual(cut.code, 0, 'the interrupted command fails');

    const st = await env.cli(['status']);
    assert.equal(st.code, 0, st.stderr);
    assert.match(
      st.stdout,
      /previous Berth host stopped during a switch to the classic store; the switch (completed|was completed by this host)/,
    );
    const settings = JSON.parse(fs.readFileSync(env.data.settingsFile, 'utf8')) as {
      useContainerdSnapshotter: boolean;
    };
    assert.equal(settings.useContainerdSnapshotter, false, 'the settings file names the classic store');
    assert.equal(
      (await sh('docker info -f "{{.Driver}}"')).stdout.trim(),
      'overlay2',
      'dockerd runs the store the settings file names',
    );
    assert.equal(qemus().length, 1);

    // Both stores hold what they held: an image made on the classic store, the containerd one's back.
    await buildScratch(env.docker(), 'crash/b:1', 'b');
    const back = await env.cli(['store', 'use', 'containerd']);
    assert.equal(back.code, 0, back.stderr);
    assert.match((await sh('docker image ls --format "{{.Repository}}:{{.Tag}}"')).stdout, /crash\/a:1/);
    const store = JSON.parse((await env.cli(['store', '--json'])).stdout) as { hidden: { images: number } };
    assert.ok(store.hidden.images >= 1, 'the classic store still holds its image');
  });

  it('kill -9 under an attached docker run: the client gets an error within seconds', async () => {
    const child = spawn('docker', ['run', '--rm', 'crash/a:1', 'sh', '-c', 'echo started; sleep 120'], {
      env: env.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d;
    });
    const exited = new Promise<number>((r) => child.on('exit', (code) => r(code ?? -1)));
    await waitFor('the container to print', async () => (out.includes('started') ? true : undefined), 120_000);
    const t0 = Date.now();
    killHost();
    const code = await Promise.race([exited, new Promise<number>((r) => setTimeout(() => r(-999), 10_000))]);
    assert.notEqual(code, -999, `the docker client still hangs 10 s after the host died:\n${out}`);
    assert.notEqual(code, 0, 'the client exits with an error');
    console.log(`docker run ended ${Date.now() - t0} ms after the host died (exit ${code})`);
    const st = await env.status();
    assert.equal(st.state, 'running');
    assert.ok(st.adopted);
  });

  it('a host started only to apply settings exits when done, and a running host reads a hand-edited file', async () => {
    assert.equal((await env.cli(['stop'])).code, 0);
    assert.equal(qemus().length, 0);
    const set = await env.cli(['settings', 'set', 'dockerEngine={"debug":true}']);
    assert.equal(set.code, 0, set.stderr);
    await waitFor(
      'the settings-only host to exit',
      async () => (fs.existsSync(path.join(env.data.runDir, 'host.pid')) ? undefined : true),
      15_000,
    );
    // Edited by hand while no host runs, then read by a host.
    const file = JSON.parse(fs.readFileSync(env.data.settingsFile, 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(
      env.data.settingsFile,
      JSON.stringify({ ...file, dockerEngine: { 'log-level': 'warn' } }, null, 2),
    );
    const get = await env.cli(['settings', 'get', 'dockerEngine']);
    assert.deepEqual(JSON.parse(get.stdout), { 'log-level': 'warn' });
  });

  /**
   * A real QEMU on the data disk, paused before its guest runs (-S): it holds the disk's write
   * lock and nothing in it can answer the power button. No record says how it was started.
   */
  async function staleQemu() {
    const pidFile = path.join(env.data.vmDir, 'qemu.pid');
    const stale = spawn(
      qemuBinary(),
      [
        '-S',
        '-nodefaults',
        '-display',
        'none',
        '-machine',
        'q35',
        '-drive',
        `if=none,id=data,file=${env.data.dataDisk},format=qcow2`,
        '-device',
        'virtio-blk-pci,drive=data',
        '-qmp',
        `unix:${env.data.qmpSocket},server=on,wait=off`,
        '-pidfile',
        pidFile,
      ],
      { stdio: 'ignore', detached: true },
    );
    await waitFor('the stale QEMU', async () => (fs.existsSync(pidFile) ? true : undefined), 30_000);
    return stale;
  }

  it('berth stop over a leftover QEMU it cannot adopt stops it and boots nothing', async () => {
    assert.equal((await env.cli(['stop'])).code, 0);
    const stale = await staleQemu();
    try {
      const st = await env.cli(['stop']);
      assert.equal(st.code, 0, st.stderr);
      assert.match(st.stderr, /could not be adopted \(there is no record of how it was started\): it was stopped/);
      assert.equal(pidAlive(stale.pid!), false, 'the old QEMU is gone');
      assert.equal(qemus().length, 0, 'a stop boots no engine');
      assert.equal((await env.status()).state, 'stopped');
    } finally {
      if (pidAlive(stale.pid!)) stale.kill('SIGKILL');
    }
  });

  it('a leftover QEMU that ignores the power button, and two berth start at once: it is killed and waited for, one engine boots, both succeed', async () => {
    const stale = await staleQemu();
    try {
      const [a, b] = await Promise.all([env.cli(['start']), env.cli(['start'])]);
      for (const r of [a, b]) {
        assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
        assert.doesNotMatch(`${r.stdout}${r.stderr}`, /write.? lock/i);
      }
      assert.match(
        `${a.stderr}${b.stderr}`,
        /could not be adopted \(there is no record of how it was started\): it was stopped/,
        'the start says the old VM was stopped, then it boots',
      );
      assert.equal(pidAlive(stale.pid!), false, 'the old QEMU is gone');
      assert.match(fs.readFileSync(env.data.hostLog, 'utf8'), /did not power off within 3 s; killing QEMU/);
      assert.equal(qemus().length, 1, 'one engine for the two starts');
      assert.equal((await env.status()).state, 'running');
      assert.equal((await sh('docker info -f "{{.ServerVersion}}"')).code, 0);
    } finally {
      if (pidAlive(stale.pid!)) stale.kill('SIGKILL');
    }
  });

  it("a full data disk: the settings apply says so, with the disk's use and what frees space, and restores the settings", async () => {
    // Every free block taken, root's reserve included (the agent writes daemon.json as root): all but
    // 64 MiB at once, the rest written until the disk refuses.
    const fill = await env.cli([
      'shell',
      'sh -c "fallocate -l $(( ($(stat -f -c %f /mnt/data) - 16384) * $(stat -f -c %S /mnt/data) )) /mnt/data/berth-test-fill && ' +
        '{ dd if=/dev/zero of=/mnt/data/berth-test-fill2 bs=1M 2>/dev/null; sync; ! echo probe 2>/dev/null >/mnt/data/berth-test-probe; }"',
    ]);
    assert.equal(fill.code, 0, `the data disk could not be filled: ${fill.stdout}${fill.stderr}`);
    try {
      const before = fs.readFileSync(env.data.settingsFile, 'utf8');
      const r = await env.cli(['settings', 'set', 'dockerEngine={"log-level":"info"}']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /the VM's data disk is full \([\d.]+ GiB of [\d.]+ GiB used, [\d.]+ GiB free\)/);
      assert.match(r.stderr, /berth df/);
      assert.match(r.stderr, /berth store reclaim classic/);
      assert.match(r.stderr, /vm\.diskGiB/);
      assert.match(r.stderr, /the previous settings were restored/);
      assert.deepEqual(JSON.parse(fs.readFileSync(env.data.settingsFile, 'utf8')), JSON.parse(before));
    } finally {
      await env.cli(['shell', 'rm -f /mnt/data/berth-test-fill /mnt/data/berth-test-fill2 /mnt/data/berth-test-probe']);
    }
    assert.equal((await sh('docker info -f "{{.ServerVersion}}"')).code, 0, 'the engine still answers');
  });
});
