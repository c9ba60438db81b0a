// Keeps the store's route and the address bar's fragment in step: navigating in the UI pushes a
// history entry (so Back/Forward work), and a fragment typed, linked or set by the Electron shell
// (hashchange) moves the UI. An unknown fragment is replaced by the default view's.
import type { StoreApi } from 'zustand/vanilla';
import { parseHash, routeHash } from '../../electron/node-host/api/routes.ts';
import type { DashState } from './state/store.ts';

export function startRouter(store: StoreApi<DashState>, w: Window = window): () => void {
  const fromLocation = (): void => {
    const route = parseHash(w.location.hash);
    const canonical = routeHash(route);
    if (w.location.hash !== canonical)
      w.history.replaceState(w.history.state, '', `${w.location.pathname}${w.location.search}${canonical}`);
    const s = store.getState();
    if (s.view !== route.view || (route.view === 'settings' && s.settingsTab !== route.tab))
      store.setState({ view: route.view, ...(route.view === 'settings' ? { settingsTab: route.tab } : {}) });
  };
  fromLocation();
  w.addEventListener('hashchange', fromLocation);
  const unsubscribe = store.subscribe((s) => {
    const hash = routeHash({ view: s.view, tab: s.settingsTab });
    // Setting the fragment adds a history entry and fires hashchange, which finds nothing to change.
    if (w.location.hash !== hash) w.location.hash = hash;
  });
  return () => {
    w.removeEventListener('hashchange', fromLocation);
    unsubscribe();
  };
}
