// Client for the control API, used by the CLI and tests.
import http from 'node:http';
import { z } from 'zod';
import { ErrorBodySchema, StreamMessageSchema, type StreamMessage } from './protocol.ts';

export class ControlError extends Error {
  constructor(readonly status: number, message: string) { super(message); }
}

export class ControlClient {
  constructor(readonly socketPath: string) {}

  private open(method: string, path: string, body?: unknown): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = http.request({
        socketPath: this.socketPath, method, path,
        headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {},
      }, resolve);
      req.on('error', reject);
      req.end(payload);
    });
  }

  async call<T>(method: string, path: string, schema: z.ZodType<T>, body?: unknown): Promise<T> {
    const res = await this.open(method, path, body);
    let text = '';
    for await (const chunk of res) text += chunk;
    let json: unknown;
    try { json = JSON.parse(text); } catch { throw new ControlError(res.statusCode ?? 500, `bad answer from the Berth host: ${text.slice(0, 200)}`); }
    if ((res.statusCode ?? 500) >= 400) {
      const err = ErrorBodySchema.safeParse(json);
      throw new ControlError(res.statusCode ?? 500, err.success ? err.data.error : text);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new ControlError(500, `unexpected answer from the Berth host: ${parsed.error.message}`);
    return parsed.data;
  }

  /** Reads an NDJSON stream, validating each line; resolves when the server ends it. */
  async stream(method: string, path: string, onMessage: (m: StreamMessage) => void, body?: unknown): Promise<void> {
    const res = await this.open(method, path, body);
    if ((res.statusCode ?? 500) >= 400) {
      let text = '';
      for await (const chunk of res) text += chunk;
      const err = ErrorBodySchema.safeParse(safeJson(text));
      throw new ControlError(res.statusCode ?? 500, err.success ? err.data.error : text);
    }
    let buf = '';
    for await (const chunk of res) {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!line.trim()) continue;
        const m = StreamMessageSchema.safeParse(safeJson(line));
        if (m.success) onMessage(m.data);
      }
    }
  }

  /** True when a Berth host answers on the socket. */
  async alive(): Promise<boolean> {
    try { await this.call('GET', '/v1/ping', z.object({ pid: z.number() })); return true; } catch { return false; }
  }
}

function safeJson(text: string): unknown {
  try { return JSON.parse(text); } catch { return undefined; }
}
