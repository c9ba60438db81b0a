// The headless host's gate: a random token on every request and WebSocket upgrade, a Host header
// naming our own loopback address (no DNS rebinding), and a same-origin Origin on upgrades.
import crypto from 'node:crypto';
import type http from 'node:http';
import { TOKEN_COOKIE, TOKEN_HEADER, TOKEN_PARAM } from '../api/wire.ts';

export function newToken(): string {
  return crypto.randomBytes(32).toString('base64url');
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

export function cookieToken(header: string | undefined): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === TOKEN_COOKIE) return v.join('=');
  }
  return undefined;
}

/** Where the request's token came from, or null when it has none that matches. */
export function presentedToken(
  req: http.IncomingMessage,
  url: URL,
  token: string,
): 'query' | 'header' | 'cookie' | null {
  const q = url.searchParams.get(TOKEN_PARAM);
  if (q && same(q, token)) return 'query';
  const auth = req.headers.authorization?.replace(/^Bearer\s+/i, '');
  const h = (req.headers[TOKEN_HEADER] as string | undefined) ?? auth;
  if (h && same(h, token)) return 'header';
  const c = cookieToken(req.headers.cookie);
  if (c && same(c, token)) return 'cookie';
  return null;
}

export function hostAllowed(req: http.IncomingMessage, port: number): boolean {
  return req.headers.host === `127.0.0.1:${port}` || req.headers.host === `localhost:${port}`;
}

/** Browsers always send Origin on WebSocket upgrades: a page from elsewhere must not get in. */
export function originAllowed(req: http.IncomingMessage, port: number): boolean {
  const o = req.headers.origin;
  return o === undefined || o === `http://127.0.0.1:${port}` || o === `http://localhost:${port}`;
}

/** A page loaded with ?token= gets the token as a strict cookie, so its scripts and styles load. */
export function tokenCookie(token: string): string {
  return `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`;
}
