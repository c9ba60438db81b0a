// The dashboard's routes: every view and settings tab has a fragment, an unknown one falls back
// to the default view, and the router keeps store and address bar in step (Back/Forward).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_ROUTE, SETTINGS_TABS, VIEWS, parseHash, routeHash } from '../../electron/node-host/api/routes.ts';
import { startRouter } from '../../renderer/src/router.ts';
import { createDashStore } from '../../renderer/src/state/store.ts';
import { navigationScript } from '../../electron/shell/main/view-navigation.ts';

/** Just enough of a browser window: a history of fragments, hashchange on push and on back(). */
class FakeWindow {
  entries: string[];
  at = 0;
  replaced = 0;
  private listeners = new Set<() => void>();
  constructor(hash: string) {
    this.entries = [hash];
  }
  private fire(): void {
    for (const l of this.listeners) l();
  }
  readonly location = (() => {
    const w = this;
    return {
      pathname: '/',
      search: '',
      get hash(): string {
        return w.entries[w.at]!;
      },
      set hash(h: string) {
        w.entries.splice(w.at + 1, Infinity, h);
        w.at++;
        w.fire();
      },
    };
  })();
  readonly history = {
    state: null,
    replaceState: (_s: unknown, _t: string, url: string) => {
      this.entries[this.at] = url.slice(url.indexOf('#'));
      this.replaced++;
    },
  };
  addEventListener(_e: 'hashchange', l: () => void): void {
    this.listeners.add(l);
  }
  removeEventListener(_e: 'hashchange', l: () => void): void {
    this.listeners.delete(l);
  }
  back(): void {
    this.at--;
    this.fire();
  }
  forward(): void {
    this.at++;
    this.fire();
  }
}

function router(hash: string): { w: FakeWindow; store: ReturnType<typeof createDashStore>; stop: () => void } {
  const w = new FakeWindow(hash);
  const store = createDashStore(null);
  const stop = startRouter(store, w as unknown as Window);
  return { w, store, stop };
}

describe('routes', () => {
  it('names every view and settings tab, and reads back what it writes', () => {
    assert.equal(routeHash({ view: 'containers' }), '#/containers');
    assert.equal(routeHash({ view: 'volumes' }), '#/volumes');
    assert.equal(routeHash({ view: 'settings' }), '#/settings');
    assert.equal(routeHash({ view: 'settings', tab: 'engine' }), '#/settings/engine');
    assert.equal(routeHash({ view: 'images', tab: 'engine' }), '#/images', 'a tab belongs to Settings only');
    for (const view of VIEWS) assert.deepEqual(parseHash(routeHash({ view })).view, view);
    for (const tab of SETTINGS_TABS)
      assert.deepEqual(parseHash(routeHash({ view: 'settings', tab })), { view: 'settings', tab });
    assert.deepEqual(parseHash('#/troubleshoot'), { view: 'troubleshoot', tab: 'general' });
  });

  it('falls back to the default view for an unknown or empty fragment; tolerates a trailing slash', () => {
    for (const h of ['', '#', '#/', '#/nope', '#main', '#/settings/nope', '#/CONTAINERS'])
      assert.deepEqual(parseHash(h), DEFAULT_ROUTE, h);
    assert.deepEqual(parseHash('#/images/'), { view: 'images', tab: 'general' });
    assert.deepEqual(parseHash('#/settings/general'), { view: 'settings', tab: 'general' });
  });

  it('the Electron shell opens views by the same fragments', () => {
    assert.match(navigationScript('settings'), /"#\/settings"/);
    assert.match(navigationScript('images'), /"#\/images"/);
  });
});

describe('router', () => {
  it('opens the view a fragment names, and replaces an unknown one with the default route', () => {
    const a = router('#/settings/engine');
    assert.equal(a.store.getState().view, 'settings');
    assert.equal(a.store.getState().settingsTab, 'engine');
    assert.equal(a.w.replaced, 0);
    const b = router('#/bogus');
    assert.equal(b.store.getState().view, 'containers');
    assert.equal(b.w.location.hash, '#/containers');
    assert.equal(b.w.entries.length, 1, 'replaced, not pushed: Back does not return to the bad fragment');
  });

  it('navigation pushes history entries; Back and Forward move the view', () => {
    const { w, store, stop } = router('#/images');
    store.getState().setView('settings');
    assert.equal(w.location.hash, '#/settings');
    store.getState().setSettingsTab('engine');
    assert.equal(w.location.hash, '#/settings/engine');
    store.getState().setView('volumes');
    assert.deepEqual(w.entries, ['#/images', '#/settings', '#/settings/engine', '#/volumes']);
    w.back();
    assert.equal(store.getState().view, 'settings');
    assert.equal(store.getState().settingsTab, 'engine');
    w.back();
    w.back();
    assert.equal(store.getState().view, 'images');
    w.forward();
    assert.equal(store.getState().view, 'settings');
    assert.equal(store.getState().settingsTab, 'general');
    assert.equal(w.entries.length, 4, 'following the URL pushes nothing');
    // A fragment set from outside (a link, the Electron shell).
    w.location.hash = '#/troubleshoot';
    assert.equal(store.getState().view, 'troubleshoot');
    stop();
    w.location.hash = '#/disk';
    assert.equal(store.getState().view, 'troubleshoot', 'stopped: no longer follows');
  });

  it('other state changes leave the history alone', () => {
    const { w, store } = router('#/images');
    store.getState().setSearch('x');
    store.setState({ connection: 'open' });
    assert.deepEqual(w.entries, ['#/images']);
  });
});
