// Reading hand-written settings files (issue 11): each file with the settings it must produce, the
// store it must choose with and without a classic store on the data disk, and what is kept aside.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataDir } from '../../engine/host/paths.ts';
import { SettingsService } from '../../electron/node-host/settings/service.ts';
import { OfflineEnginePort } from '../../electron/node-host/settings/offline-reset.ts';
import { defaultSettings, CURRENT_SCHEMA_VERSION, type Settings } from '../../electron/node-host/settings/schema.ts';
import { decideStore, classicContents, type ClassicContents } from '../../electron/node-host/store/store-decision.ts';
import type { ImageStore } from '../../engine/shared/image-store.ts';

const D = defaultSettings();
const PARTIAL = '{"vm":{"cpus":2,"memoryMiB":2048},"dockerEngine":{"log-level":"warn"}}';

interface Row {
  name: string;
  /** null: no file at all. */
  text: string | null;
  settings: Settings;
  /** The store with a classic store holding images on the data disk, and with an empty one. */
  store: { classicHolds: ImageStore; classicEmpty: ImageStore };
  /** 'corrupt': the file moved aside; 'rejected': a copy kept aside; null: nothing aside. */
  aside: 'corrupt' | 'rejected' | null;
  notices: RegExp[];
  /** Keys the file must still hold after the host has written it. */
  keeps?: Record<string, unknown>;
}

const decided = (s: ImageStore) => ({ classicHolds: s, classicEmpty: s });
const fromDisk = { classicHolds: 'classic', classicEmpty: 'containerd' } as const;
const file = (v: object) => JSON.stringify({ schemaVersion: CURRENT_SCHEMA_VERSION, ...v });

const ROWS: Row[] = [
  { name: 'absent (clean install)', text: null, settings: D, store: decided('containerd'), aside: null, notices: [] },
  { name: '{}', text: '{}', settings: D, store: fromDisk, aside: null, notices: [] },
  {
    name: 'the partial file from the issue',
    text: PARTIAL,
    settings: { ...D, dockerEngine: { 'log-level': 'warn' } },
    store: fromDisk,
    aside: null,
    notices: [],
  },
  {
    name: 'a current file on classic',
    text: file({ ...D, useContainerdSnapshotter: false }),
    settings: { ...D, useContainerdSnapshotter: false },
    store: decided('classic'),
    aside: null,
    notices: [],
  },
  {
    name: 'one bad value',
    text: file({ ...D, useContainerdSnapshotter: false, vm: { cpus: 'four', memoryMiB: 3072, diskGiB: 64 } }),
    settings: { ...D, useContainerdSnapshotter: false, vm: { ...D.vm, memoryMiB: 3072 } },
    store: decided('classic'),
    aside: 'rejected',
    notices: [
      /^vm\.cpus must be a whole number .*got "four": vm\.cpus takes its default 2; the file as it was is kept in .*settings\.json\.rejected-/,
    ],
  },
  {
    name: 'a bad store value',
    text: file({ ...D, useContainerdSnapshotter: 'yes' }),
    settings: D,
    store: fromDisk,
    aside: 'rejected',
    notices: [/^useContainerdSnapshotter must be true or false; got "yes"/],
  },
  {
    name: 'unknown keys',
    text: file({ ...D, useContainerdSnapshotter: false, colour: 'blue', vm: { ...D.vm, gpu: true } }),
    settings: { ...D, useContainerdSnapshotter: false },
    store: decided('classic'),
    aside: null,
    notices: [/keys this version does not know \(colour, vm\.gpu\): they are kept/],
    keeps: { colour: 'blue', 'vm.gpu': true },
  },
  {
    name: 'a newer schemaVersion',
    text: JSON.stringify({ schemaVersion: 9, useContainerdSnapshotter: false, vm: { cpus: 1 }, gpus: 'all' }),
    settings: { ...D, useContainerdSnapshotter: false, vm: { ...D.vm, cpus: 1 } },
    store: decided('classic'),
    aside: null,
    notices: [/written by a newer Berth \(settings version 9; this one knows up to 4\)/],
    keeps: { schemaVersion: 9, gpus: 'all' },
  },
  {
    name: 'not JSON',
    text: '{"useContainerdSnapshotter": fal',
    settings: D,
    store: fromDisk,
    aside: 'corrupt',
    notices: [/could not be used: it is not valid JSON.*moved to .*settings\.json\.corrupt-/],
  },
  {
    name: 'not an object',
    text: '[true]',
    settings: D,
    store: fromDisk,
    aside: 'corrupt',
    notices: [/it is not a JSON object/],
  },
  { name: 'an empty file', text: '', settings: D, store: fromDisk, aside: null, notices: [/settings file was empty/] },
  {
    name: 'a BOM',
    text: `\uFEFF${file({ ...D, useContainerdSnapshotter: false, vm: { ...D.vm, cpus: 1 } })}`,
    settings: { ...D, useContainerdSnapshotter: false, vm: { ...D.vm, cpus: 1 } },
    store: decided('classic'),
    aside: null,
    notices: [],
  },
];

const LIMITS = { maxCpus: 4, maxMemoryMiB: 8192 };
const PENDING = /^The image store is decided when the engine next starts/;

/** A data dir with the file and (optionally) a data disk; the service as the host builds it. */
function open(text: string | null, disk: boolean): { data: DataDir; svc: SettingsService; log: string[] } {
  const data = new DataDir(fs.mkdtempSync(path.join(os.tmpdir(), 'berth-read-')));
  data.ensure();
  if (text !== null) fs.writeFileSync(data.settingsFile, text);
  if (disk) fs.writeFileSync(data.dataDisk, 'a data disk');
  const log: string[] = [];
  const svc = new SettingsService(data, new OfflineEnginePort(data), {
    limits: LIMITS,
    adminFile: path.join(data.root, 'none.json'),
    log: (l) => log.push(l),
  });
  return { data, svc, log };
}

const aside = (data: DataDir) => fs.readdirSync(data.root).filter((f) => /\.(corrupt|rejected)-/.test(f));
const withoutPending = (n: readonly string[]) => n.filter((x) => !PENDING.test(x));

for (const row of ROWS) {
  test(`settings file: ${row.name}`, async () => {
    for (const [contents, want] of [
      [{ images: 2, containers: 1 }, row.store.classicHolds],
      [{ images: 0, containers: 0 }, row.store.classicEmpty],
    ] as const) {
      const { data, svc, log } = open(row.text, true);
      const { useContainerdSnapshotter: _s, ...rest } = svc.get();
      const { useContainerdSnapshotter: _w, ...wantRest } = row.settings;
      assert.deepEqual(rest, wantRest, 'every other setting');
      const notices = withoutPending(svc.notices);
      assert.equal(notices.length, row.notices.length, notices.join('\n'));
      row.notices.forEach((re, i) => assert.match(notices[i]!, re));
      const kept = aside(data);
      assert.deepEqual(
        kept.map((f) => f.replace(/-\d.*$/, '')),
        row.aside ? [`settings.json.${row.aside}`] : [],
      );
      if (row.aside)
        assert.equal(fs.readFileSync(path.join(data.root, kept[0]!), 'utf8'), row.text, 'kept aside byte for byte');
      const undecided = svc.storeUndecided;
      assert.equal(
        undecided,
        row.store.classicHolds !== row.store.classicEmpty,
        'only a file that cannot say leaves the store open',
      );
      assert.equal(
        svc.notices.some((n) => PENDING.test(n)),
        undecided,
      );
      if (undecided) {
        const onDisk = JSON.parse(fs.readFileSync(data.settingsFile, 'utf8'));
        assert.ok(!('useContainerdSnapshotter' in onDisk), 'no store is written before the data disk decides');
      }
      let probed = 0;
      const store = await svc.storeForBoot(async () => {
        probed++;
        return contents;
      });
      assert.equal(store, want);
      assert.equal(probed, undecided ? 1 : 0, 'the disk is asked only when the file cannot say');
      assert.equal(
        await svc.storeForBoot(async () => {
          throw new Error('asked twice');
        }),
        want,
        'decided once',
      );
      if (undecided) {
        assert.match(
          svc.notices.at(-1)!,
          new RegExp(`^Berth chose the ${want === 'classic' ? 'classic overlay2 store' : 'containerd image store'}: `),
        );
        assert.ok(
          log.some((l) => /Berth chose/.test(l)),
          'the decision is in the log',
        );
        assert.equal(
          JSON.parse(fs.readFileSync(data.settingsFile, 'utf8')).useContainerdSnapshotter,
          want === 'containerd',
          'and in the file',
        );
      }
      for (const [k, v] of Object.entries(row.keeps ?? {})) {
        const onDisk = JSON.parse(fs.readFileSync(data.settingsFile, 'utf8'));
        const [h, s] = k.split('.') as [string, string | undefined];
        assert.deepEqual(s ? onDisk[h][s] : onDisk[h], v, `${k} kept in the file`);
      }
    }
    // Without a data disk nothing can be hidden: the choice is made at once, containerd unless the file says.
    const bare = open(row.text, false);
    assert.equal(bare.svc.storeUndecided, false);
    assert.equal(
      bare.svc.get().useContainerdSnapshotter,
      row.store.classicHolds === row.store.classicEmpty ? row.store.classicHolds === 'containerd' : true,
    );
  });
}

test('a newer file keeps its version when this version saves it', async () => {
  const { data, svc } = open(JSON.stringify({ schemaVersion: 9, useContainerdSnapshotter: true, gpus: 'all' }), true);
  assert.ok(!fs.readFileSync(data.settingsFile, 'utf8').includes('"vm"'), 'reading does not rewrite a newer file');
  await svc.apply({ vm: { cpus: 3 } });
  const onDisk = JSON.parse(fs.readFileSync(data.settingsFile, 'utf8'));
  assert.equal(onDisk.schemaVersion, 9);
  assert.equal(onDisk.gpus, 'all');
  assert.equal(onDisk.vm.cpus, 3);
});

test('while the store is undecided, a save leaves it out; the user choosing it decides it', async () => {
  const { data, svc } = open(PARTIAL, true);
  await svc.apply({ vm: { cpus: 3 } });
  assert.ok(!('useContainerdSnapshotter' in JSON.parse(fs.readFileSync(data.settingsFile, 'utf8'))));
  assert.equal(svc.storeUndecided, true);
  await svc.apply({ useContainerdSnapshotter: true });
  assert.equal(svc.storeUndecided, false);
  assert.equal(JSON.parse(fs.readFileSync(data.settingsFile, 'utf8')).useContainerdSnapshotter, true);
  assert.equal(
    await svc.storeForBoot(async () => ({ images: 5, containers: 0 })),
    'containerd',
    "the user's choice stands",
  );
});

test('read only (settings get without a host): nothing moved, copied or written', () => {
  const data = new DataDir(fs.mkdtempSync(path.join(os.tmpdir(), 'berth-read-ro-')));
  data.ensure();
  fs.writeFileSync(data.settingsFile, '{ broken');
  const svc = new SettingsService(data, new OfflineEnginePort(data), {
    readOnly: true,
    log: () => undefined,
    adminFile: path.join(data.root, 'none.json'),
  });
  assert.match(svc.notices[0]!, /not valid JSON/);
  assert.deepEqual(
    fs.readdirSync(data.root).filter((f) => f.startsWith('settings')),
    ['settings.json'],
  );
  assert.equal(fs.readFileSync(data.settingsFile, 'utf8'), '{ broken');
});

test('decideStore: images or containers keep classic; an empty or missing store means containerd', async () => {
  const why = 'the settings file does not say which image store to use';
  assert.equal(decideStore(why, { images: 1, containers: 0 }).store, 'classic');
  assert.equal(decideStore(why, { images: 0, containers: 1 }).store, 'classic');
  assert.equal(decideStore(why, { images: 0, containers: 0 }).store, 'containerd');
  assert.equal(decideStore(why, null).store, 'containerd');
  const inv = (active: string, hidden: string, classic: ClassicContents) => ({
    active: {
      store: active,
      images: active === 'IMAGE_STORE_CLASSIC' ? Array(classic.images).fill({}) : [{}],
      containers: active === 'IMAGE_STORE_CLASSIC' ? Array(classic.containers).fill({}) : [],
      total_image_bytes: 0,
    },
    hidden: {
      store: hidden,
      images: hidden === 'IMAGE_STORE_CLASSIC' ? Array(classic.images).fill({}) : [{}, {}],
      containers: hidden === 'IMAGE_STORE_CLASSIC' ? Array(classic.containers).fill({}) : [],
      total_image_bytes: 0,
    },
    disk_free_bytes: 0,
  });
  const agent = (r: ReturnType<typeof inv>) => ({ inventory: async () => r as never });
  assert.deepEqual(
    await classicContents(agent(inv('IMAGE_STORE_CONTAINERD', 'IMAGE_STORE_CLASSIC', { images: 3, containers: 1 }))),
    { images: 3, containers: 1 },
    'hidden classic',
  );
  assert.deepEqual(
    await classicContents(agent(inv('IMAGE_STORE_CLASSIC', 'IMAGE_STORE_CONTAINERD', { images: 0, containers: 0 }))),
    { images: 0, containers: 0 },
    'active classic',
  );
});
