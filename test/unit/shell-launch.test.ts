// `npm start` decides between Electron and the headless dashboard, and says why.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { findElectron, launchPlan, type LaunchEnv } from '../../electron/shell/main/launch.ts';
import { APP_ROOT, SHELL_PATHS } from '../../electron/shell/main/paths.ts';

const base: LaunchEnv = { platform: 'linux', env: { DISPLAY: ':0' }, electron: { path: '/x/electron' }, isRoot: false };

describe('npm start', () => {
  it('runs Electron on the main entry when the binary and a display are there', () => {
    assert.deepEqual(launchPlan(base), {
      mode: 'electron',
      binary: '/x/electron',
      args: [SHELL_PATHS.entry],
      notes: [],
    });
    assert.equal(launchPlan({ ...base, env: { WAYLAND_DISPLAY: 'wayland-0' } }).mode, 'electron');
    assert.equal(launchPlan({ ...base, platform: 'darwin', env: {} }).mode, 'electron', 'macOS always has a display');
    assert.equal(launchPlan({ ...base, platform: 'win32', env: {} }).mode, 'electron');
    assert.ok(fs.existsSync(SHELL_PATHS.entry));
  });

  it('falls back to the headless dashboard, saying which piece is missing', () => {
    const noBinary = launchPlan({ ...base, electron: { missing: 'Electron failed to install correctly' } });
    assert.deepEqual(noBinary, {
      mode: 'headless',
      reason: "Electron's binary is not installed: Electron failed to install correctly",
    });
    const noDisplay = launchPlan({ ...base, env: {} });
    assert.deepEqual(noDisplay, {
      mode: 'headless',
      reason: 'no display: neither $DISPLAY nor $WAYLAND_DISPLAY is set',
    });
  });

  it("as root on Linux, turns Chromium's OS sandbox off and says so", () => {
    const p = launchPlan({ ...base, isRoot: true });
    assert.equal(p.mode, 'electron');
    if (p.mode !== 'electron') return;
    assert.deepEqual(p.args, ['--no-sandbox', SHELL_PATHS.entry]);
    assert.match(p.notes[0]!, /--no-sandbox/);
  });

  it("finds Electron's binary exactly when its download happened", () => {
    const found = findElectron();
    const pathFile = path.join(APP_ROOT, 'node_modules', 'electron', 'path.txt');
    if (fs.existsSync(pathFile)) {
      assert.ok('path' in found && fs.existsSync(found.path), JSON.stringify(found));
    } else {
      assert.ok('missing' in found);
      assert.match(found.missing, /node node_modules\/electron\/install\.js/);
    }
  });
});
