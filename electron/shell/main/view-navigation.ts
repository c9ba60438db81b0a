// Opening the dashboard on a view (tray: Settings, Troubleshoot; the app menu): the view's route
// (renderer/src/routes.ts) goes into the page's URL fragment, where the renderer's router takes
// it, as it does for a link or Back. The script is fixed: only the fragment varies.
import { routeHash } from '../../node-host/api/routes.ts';
import type { View } from './app-menu.ts';

/** The fragment of a view the shell opens, e.g. "#/settings". */
export function viewHash(view: View): string {
  return routeHash({ view });
}

/** A fixed script for webContents.executeJavaScript: nothing from the page, only the fragment. */
export function navigationScript(view: View): string {
  return `(() => { location.hash = ${JSON.stringify(viewHash(view))}; return true; })()`;
}
