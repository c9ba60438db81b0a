// File-change events for shared folders without a VM: the host's coalescing and echo rule, the
// agent's watch scan and its touch (run on this host's own kernel, watched by the hand-made
// watcher the engine tests run in containers), and the virtiofsd tuning knob.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  decide,
  defaultMaxWatches,
  ShareEvents,
  signature,
  type HostFileChange,
} from '../../engine/host/share-events.ts';
import { applyFileChanges, touch, virtiofsDevices, watchedInodes } from '../../engine/agent/file-events.ts';
import { DEFAULT_TUNING, tuningArgs, tuningFor, virtiofsdCommand } from '../../engine/host/file-sharing.ts';
import { IN, inotifyWatcherElf, maskNames, parseEvents } from '../helpers/inotify-watcher.ts';

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'berth-events-unit-'));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('decide: a change is sent once; its echo (same inode, size, mtime, mode, owner) is not', () => {
  const dir = tmp();
  try {
    const f = path.join(dir, 'a.txt');
    fs.writeFileSync(f, 'one');
    const sent = new Map<string, string>();
    const parent = fs.lstatSync(dir);
    const first = decide(f, fs.lstatSync(f), parent, sent);
    assert.equal(first?.deleted, false);
    assert.equal(first?.ino, fs.lstatSync(f).ino);
    assert.equal(first?.parent_ino, parent.ino);
    fs.chmodSync(f, fs.lstatSync(f).mode & 0o7777); // what the guest's touch does, seen on the host
    assert.equal(decide(f, fs.lstatSync(f), parent, sent), null, 'an echo is dropped');
    fs.writeFileSync(f, 'two!');
    assert.ok(decide(f, fs.lstatSync(f), parent, sent), 'a real edit is sent');
    fs.rmSync(f);
    const gone = decide(f, null, parent, sent);
    assert.deepEqual(gone, { path: f, deleted: true, ino: 0, parent_ino: parent.ino, mode: parent.mode & 0o7777 });
    assert.equal(decide(f, null, null, sent), null, 'nothing to touch when the folder went too');
    assert.equal(
      signature(parent),
      `${parent.ino}:${parent.size}:${parent.mtimeMs}:${parent.mode}:${parent.uid}:${parent.gid}`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the watch budget: half the inotify limit, between 100 and 20,000 folders', () => {
  assert.equal(
    defaultMaxWatches(() => '8192\n'),
    4096,
  );
  assert.equal(
    defaultMaxWatches(() => '1048576'),
    20_000,
  );
  assert.equal(
    defaultMaxWatches(() => '50'),
    100,
  );
  assert.equal(
    defaultMaxWatches(() => 'x'),
    8192,
  );
  assert.equal(
    defaultMaxWatches(() => {
      throw new Error('no /proc');
    }),
    8192,
  );
});

test('the agent finds inotify watches on virtiofs mounts from mountinfo and fdinfo', () => {
  const mountinfo = [
    '25 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw',
    '40 25 0:42 / /home/u rw,relatime shared:20 - virtiofs berth0 rw',
    '41 40 0:300 / /home/u/disk rw,relatime shared:21 - virtiofs berth0 rw',
  ].join('\n');
  const devs = virtiofsDevices(mountinfo);
  assert.deepEqual([...devs].sort(), ['0:300', '0:42']);
  const fdinfo = [
    'pos:\t0',
    'flags:\t00',
    'inotify wd:1 ino:1a2b sdev:2a mask:fff ignored_mask:0 fhandle-bytes:8 fhandle-type:1 f_handle:2b1a000000000000',
    'inotify wd:2 ino:ff sdev:fe00000 mask:fff ignored_mask:0',
    'inotify wd:3 ino:10 sdev:12c mask:2 ignored_mask:0',
  ].join('\n');
  assert.deepEqual(
    [...watchedInodes(fdinfo, devs)].sort((a, b) => a - b),
    [0x10, 0x1a2b],
    'the ext4 watch (254:0) is not one of ours',
  );
});

test('the touch leaves a file as it was and emits OPEN, ATTRIB, CLOSE_WRITE; a folder gets ATTRIB', {
  skip: process.platform !== 'linux' || process.arch !== 'x64',
}, async () => {
  const dir = tmp();
  const watcher = path.join(dir, 'watch');
  fs.writeFileSync(watcher, inotifyWatcherElf(), { mode: 0o755 });
  const wd = path.join(dir, 'w');
  fs.mkdirSync(wd);
  const f = path.join(wd, 'a.txt');
  fs.writeFileSync(f, 'hello');
  const child = spawn(watcher, [wd]);
  let out = Buffer.alloc(0);
  child.stdout.on('data', (d: Buffer) => {
    out = Buffer.concat([out, d]);
  });
  try {
    while (!parseEvents(out).ready) await sleep(20);
    const before = fs.statSync(f);
    assert.equal(await touch(f, before.mode & 0o7777, before.ino), true);
    assert.equal(await touch(f, before.mode & 0o7777, before.ino + 1), false, 'another inode is left alone');
    const after = fs.statSync(f);
    assert.equal(after.mtimeMs, before.mtimeMs);
    assert.equal(after.size, before.size);
    assert.equal(fs.readFileSync(f, 'utf8'), 'hello');
    // A deleted name: its folder is touched.
    fs.writeFileSync(path.join(wd, 'gone.txt'), 'x');
    const goneIno = fs.statSync(path.join(wd, 'gone.txt')).ino;
    fs.rmSync(path.join(wd, 'gone.txt'));
    const wdSt = fs.statSync(wd);
    await sleep(50);
    out = Buffer.from(out.subarray(0, 1)); // keep "R", forget the host's own create/delete
    const r = await applyFileChanges(
      [
        { path: path.join(wd, 'gone.txt'), deleted: true, ino: 0, parent_ino: wdSt.ino, mode: wdSt.mode & 0o7777 },
        {
          path: path.join(wd, 'a.txt'),
          deleted: false,
          ino: before.ino,
          parent_ino: wdSt.ino,
          mode: before.mode & 0o7777,
        },
        { path: path.join(dir, 'unwatched'), deleted: false, ino: goneIno + 1_000_000, parent_ino: 1, mode: 0o644 },
      ],
      new Set([wdSt.ino]),
    );
    assert.deepEqual(r, { poked: 2, unwatched: 1, failed: 0 });
    await sleep(100);
    const seen = parseEvents(out).events.map((e) => `${maskNames(e.mask)} ${e.name}`.trim());
    assert.ok(seen.includes('ATTRIB|ISDIR'), `the folder's ATTRIB: ${seen.join(', ')}`);
    assert.ok(
      seen.includes('ATTRIB a.txt') && seen.includes('CLOSE_WRITE a.txt') && seen.includes('OPEN a.txt'),
      seen.join(', '),
    );
    assert.ok(!seen.some((s) => s.startsWith('MODIFY')), 'nothing was written');
    assert.equal(IN.ATTRIB, 4);
  } finally {
    child.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("without a recent scan of the VM's watches, a small batch is touched whole", async () => {
  const dir = tmp();
  try {
    fs.writeFileSync(path.join(dir, 'a'), 'a');
    const st = fs.statSync(path.join(dir, 'a'));
    const r = await applyFileChanges([
      { path: path.join(dir, 'a'), deleted: false, ino: st.ino, parent_ino: 1, mode: st.mode & 0o7777 },
    ]);
    assert.deepEqual(r, { poked: 1, unwatched: 0, failed: 0 });
    assert.equal(fs.statSync(path.join(dir, 'a')).mtimeMs, st.mtimeMs);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('ShareEvents: creates, edits and deletes in a tree (new folders included) arrive in batches, echoes do not', async () => {
  const root = tmp();
  fs.mkdirSync(path.join(root, 'src'));
  fs.writeFileSync(path.join(root, 'src', 'a.js'), '1');
  const batches: HostFileChange[][] = [];
  const ev = new ShareEvents({
    roots: [root],
    send: async (c) => {
      batches.push(c);
    },
    delayMs: 30,
  });
  try {
    const st = await ev.start();
    assert.equal(st.watchedFolders, 2);
    const all = (): HostFileChange[] => batches.flat();
    const until = async (what: string, ok: () => boolean): Promise<void> => {
      for (let i = 0; i < 200 && !ok(); i++) await sleep(20);
      assert.ok(ok(), `${what}: ${JSON.stringify(all().map((c) => [path.relative(root, c.path), c.deleted]))}`);
    };
    fs.writeFileSync(path.join(root, 'src', 'a.js'), '22');
    await until('edit', () => all().some((c) => c.path.endsWith('a.js') && !c.deleted));
    fs.mkdirSync(path.join(root, 'src', 'new', 'deep'), { recursive: true });
    fs.writeFileSync(path.join(root, 'src', 'new', 'deep', 'b.js'), 'b');
    await until('a file in a new folder', () => all().some((c) => c.path.endsWith(path.join('deep', 'b.js'))));
    assert.equal(ev.status().watchedFolders, 4, 'new folders are watched');
    fs.rmSync(path.join(root, 'src', 'a.js'));
    await until('delete', () => all().some((c) => c.path.endsWith('a.js') && c.deleted));
    // The guest's touch, as the host sees it: no new batch.
    const n = all().length;
    const b = path.join(root, 'src', 'new', 'deep', 'b.js');
    fs.chmodSync(b, fs.statSync(b).mode & 0o7777);
    await sleep(200);
    assert.equal(all().length, n, `echo sent again: ${JSON.stringify(all().slice(n))}`);
  } finally {
    ev.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('ShareEvents stops at its folder budget and says so', async () => {
  const root = tmp();
  for (let i = 0; i < 5; i++) fs.mkdirSync(path.join(root, `d${i}`));
  const ev = new ShareEvents({ roots: [root], send: async () => {}, maxWatches: 3 });
  try {
    const st = await ev.start();
    assert.equal(st.watchedFolders, 3);
    assert.equal(st.truncated, true);
  } finally {
    ev.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('virtiofsd tuning: the default, per-path overrides from BERTH_VIRTIOFSD_TUNING, both flavors', () => {
  assert.deepEqual(tuningFor('/home/u', {}), DEFAULT_TUNING);
  const env = {
    BERTH_VIRTIOFSD_TUNING: JSON.stringify({
      '/a': { cache: 'always', writeback: true, timeout: 1 },
      '*': { threadPoolSize: 4 },
    }),
  };
  assert.deepEqual(tuningFor('/a', env), { ...DEFAULT_TUNING, cache: 'always', writeback: true, timeout: 1 });
  assert.equal(tuningFor('/b', env).threadPoolSize, 4);
  assert.throws(() => tuningFor('/a', { BERTH_VIRTIOFSD_TUNING: '{"/a":{"cache":"sometimes"}}' }), /cache must be/);
  assert.throws(() => tuningFor('/a', { BERTH_VIRTIOFSD_TUNING: 'nope' }), /not JSON/);
  assert.deepEqual(tuningArgs('c', DEFAULT_TUNING), ['-o', 'cache=auto', '-o', 'announce_submounts']);
  assert.deepEqual(
    tuningArgs('c', { cache: 'always', writeback: true, timeout: 1, threadPoolSize: 2, announceSubmounts: false }),
    ['-o', 'cache=always', '-o', 'writeback', '-o', 'timeout=1', '--thread-pool-size=2'],
  );
  assert.deepEqual(tuningArgs('rust', { cache: 'none', writeback: true, announceSubmounts: true }), [
    '--cache=never',
    '--writeback',
    '--announce-submounts',
  ]);
  const cmd = virtiofsdCommand({
    binary: '/v',
    flavor: 'c',
    socket: '/s',
    source: '/src',
    selfUid: 0,
    owner: { uid: 0, gid: 0 },
    tuning: { ...DEFAULT_TUNING, writeback: true },
  });
  assert.ok(cmd.args.join(' ').includes('-o cache=auto -o writeback -o announce_submounts'));
});
