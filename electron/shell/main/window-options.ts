// The main window's security: the options it is created with, its content security policy and
// where it may navigate. Pure, so the choices are unit-tested without Electron.
import type { BrowserWindowConstructorOptions } from 'electron';

/** The renderer is served from this privileged custom scheme, never from the network. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'berth';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const RENDERER_URL = `${APP_ORIGIN}/index.html`;

/** Like the headless host's (electron/node-host/dashboard/static-files.ts), minus the WebSocket: IPC needs no connection. */
export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

export interface WindowParams {
  preload: string;
  icon?: string;
  title?: string;
}

export function mainWindowOptions(p: WindowParams): BrowserWindowConstructorOptions {
  return {
    width: 1200,
    height: 780,
    minWidth: 820,
    minHeight: 520,
    title: p.title ?? 'Berth',
    ...(p.icon ? { icon: p.icon } : {}),
    show: false, // shown on ready-to-show, so no blank frame flashes
    backgroundColor: '#ffffff',
    webPreferences: {
      preload: p.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      safeDialogs: true,
    },
  };
}

export function isAppUrl(raw: string): boolean {
  try {
    const u = new URL(raw);
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST;
  } catch {
    return false;
  }
}

/** will-navigate: the window stays on the renderer (a reload is fine); everything else is refused. */
export function navigationAllowed(url: string): boolean {
  return isAppUrl(url);
}

/**
 * setWindowOpenHandler: no window is ever opened. A plain https link is handed to the system
 * browser instead, so documentation links still work outside the app.
 */
export function windowOpenDecision(url: string): { action: 'deny'; openExternally?: string } {
  try {
    const u = new URL(url);
    if (u.protocol === 'https:' && !u.username && !u.password) return { action: 'deny', openExternally: u.href };
  } catch {
    /* not a URL: just deny */
  }
  return { action: 'deny' };
}

/** Requests the window's session lets through: the renderer's own files and devtools only. */
export function requestAllowed(url: string): boolean {
  return isAppUrl(url) || url.startsWith('devtools://') || url.startsWith('data:');
}
