// The headless dashboard host: the built renderer, the contract's calls over HTTP and a
// WebSocket for calls and pushed events, on 127.0.0.1 only, behind a random token.
import http from 'node:http';
import type net from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { ApiError, contractJsonSchema, type EventData, type EventName } from '../api/contract.ts';
import { API_PATHS, ClientFrameSchema, TOKEN_PARAM, type ServerFrame } from '../api/wire.ts';
import { readJson } from './http-json.ts';
import { errorBody } from '../api/contract.ts';
import { ApiHandler } from '../services/api-handler.ts';
import type { ClientContext } from '../api/client-context.ts';
import { hostAllowed, newToken, originAllowed, presentedToken, tokenCookie } from './auth.ts';
import { EventHub } from '../services/event-hub.ts';
import type { DashboardServices } from '../services/services.ts';
import { serveStatic } from './static-files.ts';

export interface DashboardOptions {
  port?: number;
  token?: string;
  rendererDir?: string;
}

export class DashboardServer {
  readonly token: string;
  private server = http.createServer((req, res) => void this.onRequest(req, res));
  private wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 20 });
  private clients = new Set<{ ws: WebSocket; ctx: ClientContext }>();
  private handler: ApiHandler;
  private hub: EventHub;
  private port = 0;

  constructor(
    services: DashboardServices,
    private readonly opts: DashboardOptions = {},
  ) {
    this.token = opts.token ?? newToken();
    const broadcast = <N extends EventName>(name: N, data: EventData<N>): void => {
      const frame = JSON.stringify({ type: 'event', name, data } satisfies ServerFrame);
      for (const c of this.clients) c.ws.send(frame);
    };
    this.handler = new ApiHandler(services, broadcast);
    this.hub = new EventHub(services, broadcast);
    this.server.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket as net.Socket, head));
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port ?? 0, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as net.AddressInfo).port;
    this.hub.start();
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/?${TOKEN_PARAM}=${this.token}`;
  }

  private refuse(res: http.ServerResponse, status: number, message: string): void {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message } }));
  }

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${this.port}`);
    if (!hostAllowed(req, this.port)) return this.refuse(res, 403, 'wrong Host header');
    const via = presentedToken(req, url, this.token);
    if (!via) return this.refuse(res, 401, 'missing or wrong token: open the URL `berth dashboard` printed');
    try {
      if (req.method === 'POST' && url.pathname.startsWith(API_PATHS.call)) {
        const name = url.pathname.slice(API_PATHS.call.length);
        const ctx: ClientContext = { send: () => undefined, subscriptions: new Map() };
        const out = await this.handler.handle(name, await readJson(req), ctx);
        for (const stop of ctx.subscriptions.values()) stop(); // HTTP has no channel for follow-up events
        return this.json(res, 200, out);
      }
      if (req.method === 'GET' && url.pathname === API_PATHS.contract) return this.json(res, 200, contractJsonSchema());
      if (req.method === 'GET' || req.method === 'HEAD') {
        const extra: Record<string, string> = via === 'query' ? { 'set-cookie': tokenCookie(this.token) } : {};
        if (serveStatic(res, url.pathname, this.port, extra, this.opts.rendererDir)) return;
      }
      this.refuse(res, 404, `not found: ${req.method} ${url.pathname}`);
    } catch (e) {
      const status = e instanceof ApiError ? e.status : ((e as { status?: number }).status ?? 500);
      if (!res.headersSent) this.refuse(res, status, (e as Error).message);
    }
  }

  private json(res: http.ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      'cache-control': 'no-store',
    });
    res.end(text);
  }

  private onUpgrade(req: http.IncomingMessage, socket: net.Socket, head: Buffer): void {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${this.port}`);
    const deny = (code: number, text: string): void => {
      socket.end(`HTTP/1.1 ${code} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (url.pathname !== API_PATHS.ws) return deny(404, 'Not Found');
    if (!hostAllowed(req, this.port) || !originAllowed(req, this.port)) return deny(403, 'Forbidden');
    if (!presentedToken(req, url, this.token)) return deny(401, 'Unauthorized');
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onClient(ws));
  }

  private onClient(ws: WebSocket): void {
    const ctx: ClientContext = {
      send: (name, data) => ws.send(JSON.stringify({ type: 'event', name, data } satisfies ServerFrame)),
      subscriptions: new Map(),
    };
    const client = { ws, ctx };
    this.clients.add(client);
    ws.on('close', () => {
      this.clients.delete(client);
      for (const stop of ctx.subscriptions.values()) stop();
    });
    ws.on('message', (data) => {
      let raw: unknown;
      try {
        raw = JSON.parse(data.toString());
      } catch {
        return;
      }
      const frame = ClientFrameSchema.safeParse(raw);
      if (!frame.success) return;
      const { id, name, input } = frame.data;
      this.handler.handle(name, input, ctx).then(
        (output) => ws.send(JSON.stringify({ type: 'result', id, output } satisfies ServerFrame)),
        (e: Error) => ws.send(JSON.stringify({ type: 'error', id, error: errorBody(e) } satisfies ServerFrame)),
      );
    });
  }

  async close(): Promise<void> {
    this.hub.close();
    for (const c of this.clients) c.ws.terminate();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
