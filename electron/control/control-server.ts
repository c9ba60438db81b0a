// The control API server: HTTP on a 0600 unix socket. Routes are registered by the services
// that own them, so settings, stores and the engine each add their own without a central switch.
import http from 'node:http';
import fs from 'node:fs';
import { HttpError, sendJson } from './http-json.ts';

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => Promise<unknown> | unknown;

export class ControlServer {
  private routes = new Map<string, Handler>();
  private server = http.createServer((req, res) => void this.dispatch(req, res));

  route(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, handler: Handler): this {
    this.routes.set(`${method} ${path}`, handler);
    return this;
  }

  private async dispatch(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://berth');
    const handler = this.routes.get(`${req.method} ${url.pathname}`);
    try {
      if (!handler) throw new HttpError(404, `no such endpoint: ${req.method} ${url.pathname}`);
      const result = await handler(req, res, url);
      // Handlers that stream write the response themselves and return undefined.
      if (!res.headersSent) sendJson(res, 200, result ?? {});
    } catch (e) {
      const status = e instanceof HttpError ? e.status : 500;
      if (!res.headersSent) sendJson(res, status, { error: (e as Error).message });
      else if (!res.writableEnded) res.end(JSON.stringify({ type: 'error', message: (e as Error).message }) + '\n');
    }
  }

  listen(socketPath: string): Promise<void> {
    fs.rmSync(socketPath, { force: true });
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(socketPath, () => {
        fs.chmodSync(socketPath, 0o600);
        resolve();
      });
    });
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}
