// Opening the dashboard on a view (tray: Settings, Troubleshoot). The contract has no navigation
// event yet, so the main process presses the renderer's own navigation button, found by its
// label; when the button is not there (an older or newer renderer) nothing happens.
import type { View } from './app-menu.ts';

export const VIEW_LABELS: Record<View, string> = {
  containers: 'Containers', images: 'Images', settings: 'Settings', troubleshoot: 'Troubleshoot',
};

/** A fixed script for webContents.executeJavaScript: no page data goes into it but the label. */
export function navigationScript(view: View): string {
  const label = JSON.stringify(VIEW_LABELS[view]);
  return `(() => { const b = [...document.querySelectorAll('nav button')].find((x) => x.textContent.trim() === ${label}); if (b) b.click(); return Boolean(b); })()`;
}
