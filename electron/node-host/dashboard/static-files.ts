// Serves the built renderer (dist/renderer) with a strict CSP: scripts and styles only from
// files of this origin, no inline script, connections only back to this host.
import fs from 'node:fs';
import path from 'node:path';
import type http from 'node:http';
import { berthPath } from '../../../engine/shared/berth-root.ts';

export const RENDERER_DIR = berthPath('dist', 'renderer');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

/** The content type the renderer's files are served with (here and on the shell's app:// scheme). */
export function contentType(file: string): string {
  return TYPES[path.extname(file)] ?? 'application/octet-stream';
}

export function csp(port: number): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}

/** Answers GET for a file of the built renderer; false when the path is not one. */
export function serveStatic(
  res: http.ServerResponse,
  urlPath: string,
  port: number,
  extraHeaders: Record<string, string> = {},
  root = RENDERER_DIR,
): boolean {
  const rel = urlPath === '/' ? 'index.html' : decodeURIComponent(urlPath).replace(/^\/+/, '');
  const file = path.resolve(root, rel);
  if (!file.startsWith(root + path.sep)) return false;
  let body: Buffer;
  try {
    body = fs.readFileSync(file);
  } catch {
    if (rel !== 'index.html') return false;
    const msg = `The dashboard is not built: run 'npm run build:renderer' (expected ${file}).\n`;
    res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(msg);
    return true;
  }
  res.writeHead(200, {
    'content-type': contentType(file),
    'content-length': body.length,
    'content-security-policy': csp(port),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': rel === 'index.html' ? 'no-store' : 'max-age=3600',
    ...extraHeaders,
  });
  res.end(body);
  return true;
}
