// Shared folders against the real VM, with the virtiofsd options Berth runs with: coherence both
// ways (a host edit read fresh by a container within 1 s; a container's write on the host when its
// sync returns; files owned by the sharing user), and file-change events: an inotify watcher in a
// container on a bind mount sees a host-side create, modify and delete within 1 s.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { BerthEnv } from '../helpers/berth-env.ts';
import { buildImage } from '../helpers/docker-ops.ts';
import { VIRTIOFS_READ_AHEAD_KB } from '../../engine/agent/virtiofs-tuning.ts';
import { IN, maskNames, parseEvents, watcherContext, type InotifyEvent } from '../helpers/inotify-watcher.ts';

const IMAGE = 'berth-test/inotify-watch:1';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs a command in a running container; its exit code and output. */
async function execIn(c: Docker.Container, cmd: string[]): Promise<{ code: number; output: string }> {
  const ex = await c.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await ex.start({ hijack: true, stdin: false });
  const out = new PassThrough();
  let output = '';
  out.on('data', (d: Buffer) => {
    output += d;
  });
  c.modem.demuxStream(stream, out, out);
  await new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  const { ExitCode } = await ex.inspect();
  return { code: ExitCode ?? -1, output };
}

describe('shared folders (real VM)', { timeout: 1_200_000 }, () => {
  const env = new BerthEnv({ shared: true });
  const asRoot = process.getuid?.() === 0;
  const owner = env.shareOwner;
  const dir = path.join(env.shareRoot, 'file-sharing-test');
  const containers: Docker.Container[] = [];
  /** Host file operations as the sharing user, as that user's editor would make them. */
  const asOwner = <T>(fn: () => T): T => {
    if (!asRoot) return fn();
    process.setegid!(owner.gid);
    process.seteuid!(owner.uid);
    try {
      return fn();
    } finally {
      process.seteuid!(0);
      process.setegid!(0);
    }
  };

  before(async () => {
    env.prepareShare();
    const r = await env.start();
    assert.equal(r.code, 0, `berth start failed:\n${r.stdout}\n${r.stderr}`);
    fs.rmSync(dir, { recursive: true, force: true });
    asOwner(() => fs.mkdirSync(dir, { mode: 0o755 }));
    await buildImage(env.docker(), watcherContext(), { t: IMAGE });
  });
  after(async () => {
    for (const c of containers) await c.remove({ force: true }).catch(() => undefined);
    await env
      .docker()
      .getImage(IMAGE)
      .remove({ force: true })
      .catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
    await env.dispose();
  });

  it('coherence: a host edit is read fresh within 1 s; a container write is on the host when sync returns; owned by the user', async () => {
    const c = await env.docker().createContainer({
      Image: IMAGE,
      Entrypoint: ['/bin/busybox'],
      Cmd: ['sleep', '3600'],
      HostConfig: { Binds: [`${dir}:/w`] },
    });
    containers.push(c);
    await c.start();
    const f = path.join(dir, 'edit.txt');
    asOwner(() => fs.writeFileSync(f, 'version-1\n'));
    // The container reads it and its metadata: both are now in the VM's caches.
    assert.equal(
      (await execIn(c, ['/bin/busybox', 'sh', '-c', 'cat /w/edit.txt; ls -l /w/edit.txt >/dev/null'])).output,
      'version-1\n',
    );
    for (const next of ['version-2\n', 'v3 is longer than the others\n', 'v4\n']) {
      const t0 = Date.now();
      asOwner(() => fs.writeFileSync(f, next));
      await sleep(Math.max(0, 1000 - (Date.now() - t0)));
      const seen = (await execIn(c, ['/bin/busybox', 'cat', '/w/edit.txt'])).output;
      assert.equal(seen, next, 'the host edit, 1 s later');
    }
    const w = await execIn(c, [
      '/bin/busybox',
      'sh',
      '-c',
      'echo from-container > /w/written.txt && mkdir /w/made && sync',
    ]);
    assert.equal(w.code, 0, w.output);
    assert.equal(fs.readFileSync(path.join(dir, 'written.txt'), 'utf8'), 'from-container\n');
    for (const p of ['written.txt', 'made']) {
      const st = fs.statSync(path.join(dir, p));
      assert.deepEqual([st.uid, st.gid], [owner.uid, owner.gid], `${p} is the sharing user's`);
    }
    const modes = (await execIn(c, ['/bin/busybox', 'stat', '-c', '%a %u', '/w/written.txt'])).output.trim();
    assert.equal(
      modes,
      `${(fs.statSync(path.join(dir, 'written.txt')).mode & 0o777).toString(8)} 0`,
      "the user's files look root-owned in containers",
    );
  });

  it('the VM reads shared files ahead by VIRTIOFS_READ_AHEAD_KB (the agent sets it)', async () => {
    const r = await env.cli(['shell', `cat /sys/class/bdi/$(mountpoint -d '${env.shareRoot}')/read_ahead_kb`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), String(VIRTIOFS_READ_AHEAD_KB));
  });

  it('events: an inotify watcher in a container sees a host-side create, modify and delete within 1 s', async () => {
    const watched = path.join(dir, 'watched');
    asOwner(() => fs.mkdirSync(watched));
    const c = await env
      .docker()
      .createContainer({ Image: IMAGE, Cmd: ['/w'], HostConfig: { Binds: [`${watched}:/w`] } });
    containers.push(c);
    const stream = await c.attach({ stream: true, stdout: true, stderr: true });
    let out = Buffer.alloc(0);
    const stdout = new PassThrough();
    stdout.on('data', (d: Buffer) => {
      out = Buffer.concat([out, d]);
    });
    c.modem.demuxStream(stream, stdout, new PassThrough());
    await c.start();
    for (let i = 0; i < 300 && !parseEvents(out).ready; i++) await sleep(100);
    assert.ok(parseEvents(out).ready, 'the watcher is watching');
    const seenSince = async (from: number, match: (e: InotifyEvent) => boolean, timeoutMs = 3000): Promise<number> => {
      const t0 = Date.now();
      while (Date.now() - t0 < timeoutMs) {
        if (parseEvents(out).events.slice(from).some(match)) return Date.now() - t0;
        await sleep(10);
      }
      return Infinity;
    };
    const latencies: Record<string, number> = {};
    const step = async (what: string, op: () => void, match: (e: InotifyEvent) => boolean): Promise<void> => {
      await sleep(300); // apart from the previous step's echoes
      const from = parseEvents(out).events.length;
      const t0 = Date.now();
      asOwner(op);
      const waited = await seenSince(from, match);
      latencies[what] = waited === Infinity ? Infinity : Date.now() - t0;
      await sleep(100);
      seen[what] =
        parseEvents(out)
          .events.slice(from)
          .map((e) => `${maskNames(e.mask)} ${e.name}`.trim())
          .join(', ') || 'nothing';
    };
    const seen: Record<string, string> = {};
    const named =
      (name: string) =>
      (e: InotifyEvent): boolean =>
        e.name === name && (e.mask & (IN.ATTRIB | IN.MODIFY | IN.CREATE | IN.CLOSE_WRITE)) !== 0;
    await step(
      'create',
      () => fs.writeFileSync(path.join(watched, 'new.js'), 'export const a = 1;\n'),
      named('new.js'),
    );
    await step(
      'modify',
      () => fs.writeFileSync(path.join(watched, 'new.js'), 'export const a = 2;\n'),
      named('new.js'),
    );
    await step('create folder', () => fs.mkdirSync(path.join(watched, 'sub')), named('sub'));
    await step(
      'delete',
      () => fs.rmSync(path.join(watched, 'new.js')),
      (e) => e.name === '' && (e.mask & IN.ATTRIB) !== 0,
    );
    console.log(
      `host change → container inotify event: ${Object.entries(latencies)
        .map(([k, v]) => `${k} ${v} ms (${seen[k]})`)
        .join('; ')}`,
    );
    // What the host did about it, for a failure's message (the data dir goes with the engine).
    const hostSide = (): string =>
      fs
        .readFileSync(env.data.hostLog, 'utf8')
        .split('\n')
        .filter((l) => l.includes('file events'))
        .slice(-10)
        .join('\n');
    for (const [what, ms] of Object.entries(latencies))
      assert.ok(
        ms <= 1000,
        `${what}: no event within 1 s (took ${ms} ms; saw ${seen[what]})\nhost log:\n${hostSide()}`,
      );
  });
});
