// How the renderer reaches the host: Electron's preload (window.berth) when present, otherwise
// the headless host's WebSocket, with the token from the URL it was opened with.
import { ApiClient, type FrameTransport } from '../../electron/node-host/api/client.ts';
import { API_PATHS, TOKEN_PARAM, type ClientFrame } from '../../electron/node-host/api/wire.ts';

export type ConnectionState = 'connecting' | 'open' | 'closed';

declare global {
  interface Window {
    berth?: { send(frame: ClientFrame): void; onFrame(h: (f: unknown) => void): void };
  }
}

class SocketTransport implements FrameTransport {
  private ws: WebSocket | null = null;
  private handler: (f: unknown) => void = () => undefined;
  private queue: ClientFrame[] = [];
  private retryMs = 500;

  constructor(
    private readonly url: string,
    private readonly onState: (s: ConnectionState) => void,
    private readonly onDrop: () => void,
  ) {
    this.connect();
  }

  private connect(): void {
    this.onState('connecting');
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.onopen = () => {
      this.retryMs = 500;
      for (const f of this.queue.splice(0)) ws.send(JSON.stringify(f));
      this.onState('open');
    };
    ws.onmessage = (m) => {
      try {
        this.handler(JSON.parse(String(m.data)));
      } catch {
        /* not JSON: ignore */
      }
    };
    ws.onclose = () => {
      this.ws = null;
      this.onState('closed');
      this.onDrop();
      // Reconnect with backoff: the host may be restarting.
      setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 10_000);
    };
  }

  send(frame: ClientFrame): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(frame));
    else this.queue.push(frame);
  }

  onFrame(handler: (f: unknown) => void): void {
    this.handler = handler;
  }
}

export function connect(onState: (s: ConnectionState) => void): ApiClient {
  if (window.berth) {
    const client = new ApiClient(window.berth);
    onState('open');
    return client;
  }
  const token = new URLSearchParams(location.search).get(TOKEN_PARAM) ?? '';
  // Keep the token out of the address bar (screenshots, screen sharing); the socket URL carries it.
  if (token) history.replaceState(null, '', location.pathname + location.hash);
  const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${API_PATHS.ws}?${TOKEN_PARAM}=${encodeURIComponent(token)}`;
  let client: ApiClient | null = null;
  const transport = new SocketTransport(wsUrl, onState, () =>
    client?.failAll('the connection to the Berth host was lost'),
  );
  client = new ApiClient(transport);
  return client;
}
