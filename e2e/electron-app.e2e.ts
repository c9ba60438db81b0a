// The desktop app in Electron (Playwright's _electron), on a throwaway data dir and the real VM:
// the window shows the dashboard over IPC with the page isolated from Node, the tray follows the
// engine to running, and Quit stops the VM before the app exits. Where Electron's binary or a
// display is missing, the test is reported as skipped with the reason.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { _electron, type ElectronApplication } from 'playwright-core';
import { EngineStatusSchema } from '../engine/host/engine-types.ts';
import { findElectron, launchPlan } from '../electron/shell/main/launch.ts';
import { buildPreload } from '../electron/shell/preload/build.ts';
import { BerthEnv } from '../test/helpers/berth-env.ts';

const MIN = 60_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('desktop app e2e (Electron, real VM)', { timeout: 15 * MIN }, () => {
  const env = new BerthEnv();
  let app: ElectronApplication | null = null;
  after(async () => {
    await app?.close().catch(() => undefined);
    await env.dispose();
  });

  it('shows the dashboard, follows the engine in the tray, and stops the VM on Quit', async (t) => {
    const electron = findElectron();
    if ('missing' in electron) {
      t.skip(`Electron binary not installed: ${electron.missing}`);
      return;
    }
    const plan = launchPlan({
      platform: process.platform,
      env: process.env,
      electron,
      isRoot: process.getuid?.() === 0,
    });
    if (plan.mode !== 'electron') {
      t.skip(plan.reason);
      return;
    }
    await buildPreload();

    app = await _electron.launch({
      executablePath: plan.binary,
      args: plan.args,
      env: { ...(env.env as Record<string, string>) },
      timeout: 2 * MIN,
    });
    const win = await app.firstWindow();
    assert.equal(new URL(win.url()).origin, 'app://berth');
    await win.getByTestId('engine-state').waitFor({ timeout: MIN });

    // The page sees the contract and nothing of Node or Electron.
    assert.deepEqual(await win.evaluate(() => Object.keys((window as unknown as { berth: object }).berth).sort()), [
      'onFrame',
      'send',
    ]);
    assert.deepEqual(
      await win.evaluate(() => [
        typeof (globalThis as { require?: unknown }).require,
        typeof (globalThis as { process?: unknown }).process,
      ]),
      ['undefined', 'undefined'],
    );
    assert.equal(await win.evaluate(() => window.open('https://example.com/')), null, 'window.open is denied');

    const trayState = (): Promise<string | undefined> =>
      app!.evaluate(
        () =>
          (globalThis as { berthShellState?: () => { tray: { state: string } | null } }).berthShellState?.().tray
            ?.state,
      );
    assert.ok(['stopped', 'starting', 'running'].includes((await trayState()) ?? ''), 'the tray exists');
    // First run: the engine boots (about a minute under emulation) and the header says so.
    await win
      .getByTestId('engine-state')
      .filter({ hasText: /running/i })
      .waitFor({ timeout: 10 * MIN });
    assert.equal(await trayState(), 'running');
    // One raw call frame through window.berth, answered as the renderer's ApiClient receives it.
    const status = EngineStatusSchema.parse(
      await win.evaluate(
        () =>
          new Promise((resolve) => {
            const berth = (
              window as unknown as {
                berth: {
                  send(f: object): void;
                  onFrame(h: (f: { type: string; id?: number; output?: unknown }) => void): void;
                };
              }
            ).berth;
            berth.onFrame((f) => {
              if (f.type === 'result' && f.id === 9e6) resolve(f.output);
            });
            berth.send({ type: 'call', id: 9e6, name: 'engine.status', input: {} });
          }),
      ),
    );
    assert.equal(status.state, 'running');
    assert.ok(status.vmPid && alive(status.vmPid));

    const exited = new Promise<number | null>((resolve) => app!.process().once('exit', (code) => resolve(code)));
    await app.evaluate(({ app: electronApp }) => {
      electronApp.quit();
    });
    assert.equal(await exited, 0);
    app = null;
    assert.equal(alive(status.vmPid), false, 'the VM stopped before the app exited');
  });
});
