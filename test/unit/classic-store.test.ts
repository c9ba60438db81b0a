// The classic store reader on a fixture laid out as dockerd 26 writes /var/lib/docker.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chainIds, readClassicImages } from '../../engine/agent/classic-store.ts';
import { readContainersOnDisk } from '../../engine/agent/containers-on-disk.ts';

const sha = (s: string): string => `sha256:${crypto.createHash('sha256').update(s).digest('hex')}`;

function fixture(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-classic-'));
  const base = path.join(root, 'image', 'overlay2');
  const diff = [sha('layer1'), sha('layer2')];
  const write = (rel: string, text: string): void => {
    fs.mkdirSync(path.dirname(path.join(base, rel)), { recursive: true });
    fs.writeFileSync(path.join(base, rel), text);
  };
  const cfg = (created: string, d: string[]): string =>
    JSON.stringify({ created, os: 'linux', architecture: 'amd64', rootfs: { type: 'layers', diff_ids: d } });
  const tagged = cfg('2026-01-02T00:00:00Z', diff);
  const parent = cfg('2026-01-01T00:00:00Z', diff.slice(0, 1));
  const orphan = cfg('2026-01-03T00:00:00Z', diff.slice(0, 1));
  const [tid, pid, oid] = [sha(tagged), sha(parent), sha(orphan)];
  write(`imagedb/content/sha256/${tid.slice(7)}`, tagged);
  write(`imagedb/content/sha256/${pid.slice(7)}`, parent);
  write(`imagedb/content/sha256/${oid.slice(7)}`, orphan);
  write(`imagedb/metadata/sha256/${tid.slice(7)}/parent`, pid);
  write(
    'repositories.json',
    JSON.stringify({ Repositories: { app: { 'app:1': tid, 'app:latest': tid, [`app@${sha('m')}`]: tid } } }),
  );
  const chains = chainIds(diff);
  write(`layerdb/sha256/${chains[0]!.slice(7)}/size`, '1000');
  write(`layerdb/sha256/${chains[1]!.slice(7)}/size`, '234');
  const c = (id: string, driver: string, started: string): void => {
    fs.mkdirSync(path.join(root, 'containers', id), { recursive: true });
    fs.writeFileSync(
      path.join(root, 'containers', id, 'config.v2.json'),
      JSON.stringify({
        ID: id,
        Name: `/${id}-name`,
        Created: '2026-01-05T00:00:00Z',
        Driver: driver,
        Config: { Image: 'app:1' },
        State: { Running: false, StartedAt: started },
      }),
    );
  };
  c('aaa', 'overlay2', '2026-01-05T00:00:01Z');
  c('bbb', 'overlayfs', '0001-01-01T00:00:00Z');
  return root;
}

describe('classic store reader', () => {
  it('computes layer chain IDs as dockerd does', () => {
    const [a, b] = [sha('x'), sha('y')];
    assert.deepEqual(chainIds([a, b]), [a, sha(`${a} ${b}`)]);
  });

  it('lists tagged and dangling images with sizes from layerdb, hiding intermediate parents', () => {
    const root = fixture();
    const images = readClassicImages(root);
    assert.equal(images.length, 2);
    const app = images.find((i) => i.refs.length)!;
    assert.deepEqual(app.refs, ['app:1', 'app:latest']);
    assert.equal(app.size, 1234);
    assert.equal(app.id, app.config_digest);
    // A classic image is one platform: its digest is the image ID, its bytes the layers'.
    assert.deepEqual(app.platforms, [
      { os: 'linux', architecture: 'amd64', variant: '', present: true, digest: app.id, size: 1234 },
    ]);
    assert.deepEqual(app.attestations, []);
    const dangling = images.find((i) => !i.refs.length)!;
    assert.equal(dangling.dangling, true);
    assert.equal(dangling.size, 1000);
    fs.rmSync(root, { recursive: true });
  });

  it('reads containers with the driver that decides which store shows them', () => {
    const root = fixture();
    const cs = readContainersOnDisk(root).sort((a, b) => a.id.localeCompare(b.id));
    assert.deepEqual(
      cs.map((c) => [c.name, c.driver, c.state]),
      [
        ['aaa-name', 'overlay2', 'exited'],
        ['bbb-name', 'overlayfs', 'created'],
      ],
    );
    fs.rmSync(root, { recursive: true });
  });

  it('returns nothing for an empty data root', () => {
    assert.deepEqual(readClassicImages(fs.mkdtempSync(path.join(os.tmpdir(), 'berth-empty-'))), []);
  });
});
