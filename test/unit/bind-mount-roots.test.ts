// What the host watches for file events: the running containers' bind mounts in a share (a
// folder's tree, a file's folder alone), and ShareEvents following those roots as they change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bindRoots } from '../../engine/host/bind-mount-roots.ts';
import { ShareEvents, type HostFileChange } from '../../engine/host/share-events.ts';
import { tuneVirtiofsMounts, virtiofsMountDevices } from '../../engine/agent/virtiofs-tuning.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('bindRoots: bind sources in a share; a file is its folder alone; nested and duplicate sources fold', () => {
  const dirs = new Set(['/home/u/app', '/home/u/app/src', '/home/u/lib', '/srv/x']);
  const containers = [
    {
      Id: 'a',
      Mounts: [
        { Type: 'bind', Source: '/home/u/app', Destination: '/app' },
        { Type: 'volume', Source: '/var/lib/docker/volumes/v/_data' },
      ],
    },
    {
      Id: 'b',
      Mounts: [
        { Type: 'bind', Source: '/home/u/app/src/', Destination: '/src' },
        { Type: 'bind', Source: '/home/u/lib/conf.json' },
      ],
    },
    {
      Id: 'c',
      Mounts: [
        { Type: 'bind', Source: '/srv/x' },
        { Type: 'bind', Source: '/etc/hosts' },
      ],
    },
    { Id: 'd', Mounts: null },
  ];
  assert.deepEqual(
    bindRoots(containers, ['/home/u'], (p) => dirs.has(p)),
    [
      { path: '/home/u/app', recursive: true },
      { path: '/home/u/lib', recursive: false },
    ],
  );
  assert.deepEqual(
    bindRoots(containers, ['/home/u/lib', '/srv'], (p) => dirs.has(p)),
    [
      { path: '/home/u/lib', recursive: false },
      { path: '/srv/x', recursive: true },
    ],
  );
  assert.deepEqual(
    bindRoots([], ['/home/u'], () => true),
    [],
  );
  assert.throws(() => bindRoots([{ Mounts: 'nope' }], ['/'], () => true));
});

test('ShareEvents.setRoots: watches only the roots, lets go of what no root covers, a lone folder not its subfolders', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-roots-unit-'));
  for (const d of ['app/src/deep', 'other/sub']) fs.mkdirSync(path.join(root, d), { recursive: true });
  const got: HostFileChange[] = [];
  const ev = new ShareEvents({
    roots: [],
    send: async (c) => {
      got.push(...c);
    },
    delayMs: 20,
  });
  const heard = async (p: string): Promise<boolean> => {
    for (let i = 0; i < 50; i++) {
      if (got.some((c) => c.path === p)) return true;
      await sleep(20);
    }
    return false;
  };
  try {
    assert.equal((await ev.start()).watchedFolders, 0, 'no container, no watch');
    assert.equal((await ev.setRoots([{ path: path.join(root, 'app'), recursive: true }])).watchedFolders, 3);
    fs.writeFileSync(path.join(root, 'app/src/deep/a.js'), '1');
    assert.ok(await heard(path.join(root, 'app/src/deep/a.js')), 'a change in the bind-mounted tree');
    fs.writeFileSync(path.join(root, 'other/b.js'), '1');
    await sleep(200);
    assert.ok(!got.some((c) => c.path.startsWith(path.join(root, 'other'))), 'nothing outside the roots');
    // The app container stopped; another bind-mounts a file of other/: that folder alone.
    const st = await ev.setRoots([{ path: path.join(root, 'other'), recursive: false }]);
    assert.equal(st.watchedFolders, 1);
    fs.writeFileSync(path.join(root, 'other/b.js'), '22');
    assert.ok(await heard(path.join(root, 'other/b.js')));
    fs.writeFileSync(path.join(root, 'other/sub/c.js'), '1');
    fs.writeFileSync(path.join(root, 'app/src/deep/a.js'), '22');
    fs.mkdirSync(path.join(root, 'other/new'));
    await sleep(300);
    assert.ok(
      !got.some((c) => c.path === path.join(root, 'other/sub/c.js')),
      "a lone folder's subfolders are not watched",
    );
    assert.equal(got.filter((c) => c.path.endsWith('a.js')).length, 1, 'the dropped tree is not watched');
    assert.equal(ev.status().watchedFolders, 1, 'a new subfolder of a lone folder is not watched');
    // The lone folder becomes a tree: its subfolders are walked although the folder was watched.
    assert.equal((await ev.setRoots([{ path: path.join(root, 'other'), recursive: true }])).watchedFolders, 3);
  } finally {
    ev.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test("tuneVirtiofsMounts: the read-ahead of each virtiofs mount's device, once per device", () => {
  const sys = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-sysfs-unit-'));
  try {
    for (const d of ['0:51', '0:52', '8:1']) {
      fs.mkdirSync(path.join(sys, 'class/bdi', d), { recursive: true });
      fs.writeFileSync(path.join(sys, 'class/bdi', d, 'read_ahead_kb'), '128\n');
    }
    const mountinfo = path.join(sys, 'mountinfo');
    fs.writeFileSync(
      mountinfo,
      [
        '30 1 8:1 / / rw,relatime - ext4 /dev/vda rw',
        '60 1 0:51 / /home/u rw,relatime - virtiofs berth0 rw',
        '61 60 0:51 /src /home/u/src rw,relatime - virtiofs berth0 rw',
        '62 1 0:52 / /srv/with\\040space rw,relatime - virtiofs berth1 rw',
      ].join('\n'),
    );
    assert.deepEqual(
      virtiofsMountDevices(fs.readFileSync(mountinfo, 'utf8')).map((m) => m.mountPoint),
      ['/home/u', '/home/u/src', '/srv/with space'],
    );
    assert.deepEqual(tuneVirtiofsMounts(sys, mountinfo, 4096), ['/home/u', '/srv/with space']);
    const ra = (d: string): string => fs.readFileSync(path.join(sys, 'class/bdi', d, 'read_ahead_kb'), 'utf8').trim();
    assert.deepEqual([ra('0:51'), ra('0:52'), ra('8:1')], ['4096', '4096', '128']);
  } finally {
    fs.rmSync(sys, { recursive: true, force: true });
  }
});

test('ShareEvents.setRoots: a root the budget cut short is walked again once another root is let go', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-roots-budget-'));
  for (const d of ['a/1', 'a/2', 'b/1', 'b/2']) fs.mkdirSync(path.join(root, d), { recursive: true });
  const ev = new ShareEvents({ roots: [], send: async () => {}, maxWatches: 4 });
  try {
    const a = { path: path.join(root, 'a'), recursive: true };
    const b = { path: path.join(root, 'b'), recursive: true };
    const both = await ev.setRoots([a, b]);
    assert.deepEqual([both.watchedFolders, both.truncated], [4, true]);
    const onlyB = await ev.setRoots([b]);
    assert.deepEqual([onlyB.watchedFolders, onlyB.truncated], [3, false]);
  } finally {
    ev.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
});
