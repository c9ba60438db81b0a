// Serves the built renderer (dist/renderer) on app://berth/ with the window's CSP. A request is
// answered from that directory only: no traversal out of it, no other host.
import fs from 'node:fs/promises';
import path from 'node:path';
import { contentType } from '../../node-host/dashboard/static-files.ts';
import { APP_HOST, APP_SCHEME, CSP } from './window-options.ts';

export type Resolved = { ok: true; file: string; type: string } | { ok: false; status: number; message: string };

export function resolveAppRequest(rawUrl: string, root: string): Resolved {
  let u: URL;
  try {
    u = new URL(rawUrl);
  } catch {
    return { ok: false, status: 400, message: 'bad URL' };
  }
  if (u.protocol !== `${APP_SCHEME}:` || u.host !== APP_HOST)
    return { ok: false, status: 403, message: `not the app's origin: ${u.origin}` };
  let rel: string;
  try {
    rel = decodeURIComponent(u.pathname).replace(/^\/+/, '');
  } catch {
    return { ok: false, status: 400, message: 'bad path' };
  }
  if (rel === '') rel = 'index.html';
  const base = path.resolve(root);
  const file = path.resolve(base, rel);
  if (!file.startsWith(base + path.sep)) return { ok: false, status: 403, message: 'outside the renderer' };
  return { ok: true, file, type: contentType(file) };
}

export function responseHeaders(type: string): Record<string, string> {
  return {
    'content-type': type,
    'content-security-policy': CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
  };
}

/** The protocol.handle() callback: Web Request in, Web Response out. */
export function rendererHandler(root: string): (req: Request) => Promise<Response> {
  return async (req) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return new Response('method not allowed', { status: 405 });
    const r = resolveAppRequest(req.url, root);
    if (!r.ok)
      return new Response(r.message, { status: r.status, headers: { 'content-type': 'text/plain; charset=utf-8' } });
    let body: Buffer;
    try {
      body = await fs.readFile(r.file);
    } catch {
      const missing =
        path.basename(r.file) === 'index.html'
          ? `The dashboard is not built: run 'npm start' or 'npm run build:renderer' (expected ${r.file}).`
          : `not found: ${new URL(req.url).pathname}`;
      return new Response(missing, { status: 404, headers: responseHeaders('text/plain; charset=utf-8') });
    }
    return new Response(req.method === 'HEAD' ? null : new Uint8Array(body), {
      status: 200,
      headers: responseHeaders(r.type),
    });
  };
}
