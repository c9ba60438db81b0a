// Tiny HTTP helpers shared by the control server and client: JSON bodies and NDJSON streams.
import type http from 'node:http';

export class HttpError extends Error {
  constructor(readonly status: number, message: string) { super(message); }
}

export async function readJson(req: http.IncomingMessage, limit = 1 << 20): Promise<unknown> {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > limit) throw new HttpError(413, 'request body too large');
  }
  if (!body.trim()) return undefined;
  try { return JSON.parse(body); } catch { throw new HttpError(400, 'request body is not valid JSON'); }
}

export function sendJson(res: http.ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Starts an NDJSON stream; returns a writer for one JSON value per line. */
export function ndjson(res: http.ServerResponse): (value: unknown) => void {
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
  return (value) => { if (!res.writableEnded) res.write(JSON.stringify(value) + '\n'); };
}
