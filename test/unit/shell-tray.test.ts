// The tray follows the engine: an icon per state, the status and image-store lines, and the
// actions; the app menu is the standard one with Quit going through the shell. Icons are real PNGs.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { EngineStatus } from '../../engine/host/engine-types.ts';
import { appMenuTemplate, type View } from '../../electron/shell/main/app-menu.ts';
import { SHELL_PATHS } from '../../electron/shell/main/paths.ts';
import {
  TRAY_STATES,
  trayIconFile,
  trayMenuTemplate,
  trayModel,
  type TrayAction,
} from '../../electron/shell/main/tray-model.ts';

const st = (state: EngineStatus['state'], extra: Partial<EngineStatus> = {}): EngineStatus => ({
  state,
  dockerSocket: '/d/run/docker.sock',
  dataDir: '/d',
  ...extra,
});
const labels = (m: ReturnType<typeof trayModel>) => m.items.map((i) => (i.type === 'separator' ? '---' : i.label));
const item = (m: ReturnType<typeof trayModel>, id: string) =>
  m.items.find((i) => i.type === 'item' && i.id === id) as { label: string; enabled: boolean; action?: TrayAction };

/** Width and height from a PNG's IHDR chunk. */
function pngSize(file: string): { w: number; h: number } {
  const b = fs.readFileSync(file);
  assert.equal(b.subarray(0, 8).toString('hex'), '89504e470d0a1a0a', `${file} is a PNG`);
  return { w: b.readUInt32BE(16), h: b.readUInt32BE(20) };
}

describe('tray model', () => {
  it('has the status line, the image store, then Dashboard, Settings, Restart, Troubleshoot, Quit', () => {
    const m = trayModel(st('running', { accelerator: 'kvm' }), { reported: 'containerd', selected: 'containerd' });
    assert.equal(m.state, 'running');
    assert.deepEqual(labels(m), [
      'Docker Engine running (KVM)',
      'Image store: containerd',
      '---',
      'Dashboard',
      'Settings',
      'Restart',
      'Troubleshoot',
      '---',
      'Quit Berth',
    ]);
    assert.equal(item(m, 'status').enabled, false);
    assert.equal(item(m, 'store').enabled, false);
    assert.deepEqual(
      ['dashboard', 'settings', 'restart', 'troubleshoot', 'quit'].map((id) => item(m, id).action),
      ['dashboard', 'settings', 'restart', 'troubleshoot', 'quit'],
    );
    assert.match(m.tooltip, /^Berth: Docker Engine running/);
  });

  it('maps each engine state to its icon and line', () => {
    const starting = trayModel(st('starting', { stage: 'boot' }), { selected: 'containerd' });
    assert.equal(starting.state, 'starting');
    assert.equal(labels(starting)[0], 'Docker Engine starting: boot');
    assert.equal(labels(starting)[1], 'Image store: containerd (at next start)');
    assert.equal(item(starting, 'restart').enabled, false, 'no restart while starting');

    const stopping = trayModel(st('stopping'), { selected: 'classic' });
    assert.equal(stopping.state, 'starting', 'a transition shows the busy icon');
    assert.equal(item(stopping, 'restart').enabled, false);

    const stopped = trayModel(st('stopped'), { selected: 'classic' });
    assert.equal(stopped.state, 'stopped');
    assert.equal(item(stopped, 'restart').label, 'Start');
    assert.equal(item(stopped, 'restart').enabled, true);
    assert.equal(labels(stopped)[1], 'Image store: classic (overlay2) (at next start)');

    const failed = trayModel(
      st('error', {
        error: { message: 'QEMU exited with code 1 before the guest answered on SSH: no KVM', console: [] },
      }),
      { selected: 'containerd' },
    );
    assert.equal(failed.state, 'error');
    assert.match(labels(failed)[0]!, /^Docker Engine failed: QEMU exited/);
    assert.ok(labels(failed)[0]!.length <= 80, 'truncated for a menu');
    assert.equal(item(failed, 'restart').label, 'Restart');
  });

  it('prefers the store the engine reports over the selected one', () => {
    assert.equal(
      labels(trayModel(st('running'), { reported: 'classic', selected: 'containerd' }))[1],
      'Image store: classic (overlay2)',
    );
    assert.equal(labels(trayModel(st('running'), { selected: 'containerd' }))[1], 'Image store: containerd (selected)');
    assert.equal(labels(trayModel(st('running'), {}))[1], 'Image store: unknown');
  });

  it('disables everything but the status while quitting', () => {
    const m = trayModel(st('running'), { reported: 'containerd' }, true);
    assert.equal(labels(m)[0], 'Quitting: stopping the VM…');
    assert.ok(m.items.every((i) => i.type === 'separator' || !i.enabled));
  });

  it('turns into an Electron menu template whose clicks are the actions', () => {
    const got: TrayAction[] = [];
    const t = trayMenuTemplate(trayModel(st('running'), {}), (a) => got.push(a));
    for (const e of t) if ('click' in e && e.click) e.click();
    assert.deepEqual(got, ['dashboard', 'settings', 'restart', 'troubleshoot', 'quit']);
    assert.equal(t.filter((e) => 'type' in e && e.type === 'separator').length, 2);
  });
});

describe('icons', () => {
  it('has a tray icon per state: 16 px and @2x, Linux using the larger', () => {
    for (const s of TRAY_STATES) {
      assert.deepEqual(pngSize(path.join(SHELL_PATHS.assets, trayIconFile(s, 'darwin'))), { w: 16, h: 16 }, s);
      assert.deepEqual(pngSize(path.join(SHELL_PATHS.assets, `tray/${s}@2x.png`)), { w: 32, h: 32 }, s);
      assert.equal(trayIconFile(s, 'linux'), `tray/${s}@2x.png`);
      assert.ok(fs.existsSync(path.join(SHELL_PATHS.assets, 'src', `tray-${s}.svg`)), `SVG source for ${s}`);
    }
    const bytes = TRAY_STATES.map((s) =>
      fs.readFileSync(path.join(SHELL_PATHS.assets, `tray/${s}@2x.png`)).toString('hex'),
    );
    assert.equal(new Set(bytes).size, 4, 'four different pictures');
  });

  it('has the app icon at 1024 px and the sizes Linux installers take', () => {
    assert.deepEqual(pngSize(path.join(SHELL_PATHS.assets, 'icon.png')), { w: 1024, h: 1024 });
    for (const n of [16, 24, 32, 48, 64, 128, 256, 512])
      assert.deepEqual(pngSize(path.join(SHELL_PATHS.assets, 'icons', `${n}x${n}.png`)), { w: n, h: n });
    assert.ok(fs.existsSync(SHELL_PATHS.appIcon));
  });
});

describe('app menu', () => {
  const calls: string[] = [];
  const actions = {
    show: (v: View) => calls.push(`show:${v}`),
    restart: () => calls.push('restart'),
    quit: () => calls.push('quit'),
  };
  type Item = { label?: string; role?: string; submenu?: Item[]; click?: () => void };
  const find = (items: Item[], label: string): Item | undefined => {
    for (const i of items) {
      if (i.label === label) return i;
      const sub = i.submenu && find(i.submenu, label);
      if (sub) return sub;
    }
    return undefined;
  };
  const roles = (items: Item[]): string[] =>
    items.flatMap((i) => [...(i.role ? [i.role] : []), ...roles(i.submenu ?? [])]);

  it('on macOS: the app menu with Settings and Quit, Edit, View, Window, Help', () => {
    const t = appMenuTemplate('darwin', actions, { devTools: false }) as Item[];
    assert.deepEqual(
      t.map((m) => m.label ?? m.role),
      ['Berth', 'File', 'Edit', 'View', 'Window', 'help'],
    );
    find(t, 'Quit Berth')!.click!();
    find(t, 'Settings…')!.click!();
    find(t, 'Troubleshoot')!.click!();
    assert.deepEqual(calls.splice(0), ['quit', 'show:settings', 'show:troubleshoot']);
    for (const r of ['about', 'hide', 'copy', 'paste', 'selectAll', 'undo', 'reload', 'minimize'])
      assert.ok(roles(t).includes(r), r);
    assert.ok(!roles(t).includes('quit'), 'quit is ours: it stops the VM first');
    assert.ok(!roles(t).includes('toggleDevTools'));
  });

  it('elsewhere: File holds Settings and Quit; devtools only when asked', () => {
    const t = appMenuTemplate('linux', actions, { devTools: true }) as Item[];
    assert.deepEqual(
      t.map((m) => m.label ?? m.role),
      ['File', 'Edit', 'View', 'Window', 'help'],
    );
    find(t, 'Quit')!.click!();
    find(t, 'Restart Docker Engine')!.click!();
    find(t, 'Dashboard')!.click!();
    assert.deepEqual(calls.splice(0), ['quit', 'restart', 'show:containers']);
    assert.ok(roles(t).includes('toggleDevTools'));
  });
});
