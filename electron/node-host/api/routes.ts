// The dashboard's routes: one URL fragment per view (and per settings tab), so a view can be
// linked to, bookmarked, opened by the Electron shell and left with Back. Pure, unit-tested.

export const VIEWS = ['containers', 'images', 'volumes', 'disk', 'settings', 'troubleshoot'] as const;
export type View = (typeof VIEWS)[number];
export const SETTINGS_TABS = ['general', 'engine', 'resources', 'features'] as const;
export type SettingsTab = (typeof SETTINGS_TABS)[number];

/** Where the dashboard is: a view, and for Settings its tab. */
export interface Route {
  view: View;
  tab: SettingsTab;
}

export const DEFAULT_ROUTE: Route = { view: 'containers', tab: 'general' };

/** Every route's fragment. General is Settings' first tab, so it has the short form. */
const TABLE: ReadonlyArray<readonly [string, Route]> = [
  ['#/containers', { view: 'containers', tab: 'general' }],
  ['#/images', { view: 'images', tab: 'general' }],
  ['#/volumes', { view: 'volumes', tab: 'general' }],
  ['#/disk', { view: 'disk', tab: 'general' }],
  ['#/settings', { view: 'settings', tab: 'general' }],
  ['#/settings/engine', { view: 'settings', tab: 'engine' }],
  ['#/settings/resources', { view: 'settings', tab: 'resources' }],
  ['#/settings/features', { view: 'settings', tab: 'features' }],
  ['#/troubleshoot', { view: 'troubleshoot', tab: 'general' }],
];

/** Also understood, never produced. */
const ALIASES: Readonly<Record<string, string>> = { '#/settings/general': '#/settings' };

/** The fragment of a route; only Settings keeps its tab (other views have none). */
export function routeHash(r: Pick<Route, 'view'> & Partial<Pick<Route, 'tab'>>): string {
  const tab = r.view === 'settings' ? (r.tab ?? 'general') : 'general';
  const hit = TABLE.find(([, t]) => t.view === r.view && t.tab === tab);
  return hit ? hit[0] : TABLE[0]![0];
}

/**
 * The route a fragment names; an unknown one falls back to the default view. The router shows
 * routeHash() of the result in the address bar, so "#/nope" reads "#/containers" afterwards.
 */
export function parseHash(hash: string): Route {
  // A trailing slash is tolerated: "#/images/" is still Images.
  const clean = hash.replace(/\/+$/, '');
  const canonical = ALIASES[clean] ?? clean;
  const hit = TABLE.find(([h]) => h === canonical);
  return { ...(hit ? hit[1] : DEFAULT_ROUTE) };
}
