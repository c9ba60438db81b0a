// The headless host on a real loopback port: every request and WebSocket upgrade without the
// token is refused; with it, calls answer per the contract, events are pushed, and a missing
// provider answers "not available yet".
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { DashboardServer } from '../../electron/node-host/dashboard/server.ts';
import { fakeServices } from '../../e2e/fixtures/fake-services.ts';

function wsOpen(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

describe('dashboard host', () => {
  const rendererDir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-renderer-'));
  fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>t</title>');
  const svc = fakeServices({ images: 3 });
  const server = new DashboardServer(svc, { rendererDir });
  let base = '';
  let token = '';
  before(async () => {
    const url = new URL(await server.listen());
    base = url.origin;
    token = url.searchParams.get('token')!;
  });
  after(async () => {
    await server.close();
    fs.rmSync(rendererDir, { recursive: true, force: true });
  });

  it('binds 127.0.0.1 and prints a URL with a long random token', () => {
    assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(token.length >= 40, 'at least 32 random bytes');
    assert.notEqual(new DashboardServer(svc).token, token);
  });

  it('refuses HTTP requests without the right token with 401', async () => {
    for (const p of ['/', '/index.html', '/api/contract']) {
      const r = await fetch(base + p);
      assert.equal(r.status, 401, p);
    }
    assert.equal((await fetch(`${base}/?token=wrong`)).status, 401);
    const call = await fetch(`${base}/api/call/engine.status`, { method: 'POST', body: '{}' });
    assert.equal(call.status, 401);
    assert.match(((await call.json()) as { error: { message: string } }).error.message, /token/);
  });

  it('serves the page with the token, a CSP without inline scripts, and a strict cookie', async () => {
    const r = await fetch(`${base}/?token=${token}`);
    assert.equal(r.status, 200);
    const csp = r.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.match(r.headers.get('set-cookie') ?? '', /HttpOnly; SameSite=Strict/);
    const cookie = (r.headers.get('set-cookie') ?? '').split(';')[0]!;
    assert.equal(
      (await fetch(`${base}/index.html`, { headers: { cookie } })).status,
      200,
      'the cookie carries the token for assets',
    );
    assert.equal((await fetch(`${base}/../../etc/passwd`, { headers: { cookie } })).status, 404);
  });

  it('refuses a foreign Host header (DNS rebinding)', async () => {
    const http = await import('node:http');
    const status = await new Promise<number>((resolve) => {
      http.get(`${base}/?token=${token}`, { headers: { host: 'evil.example:80' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
    });
    assert.equal(status, 403);
  });

  it('answers calls over HTTP per the contract, errors as { error: { message } }', async () => {
    const post = (name: string, body: unknown) =>
      fetch(`${base}/api/call/${name}`, {
        method: 'POST',
        headers: { 'x-berth-token': token },
        body: JSON.stringify(body),
      });
    const st = await post('engine.status', {});
    assert.equal(st.status, 200);
    assert.equal(((await st.json()) as { state: string }).state, 'running');
    const bad = await post('containers.start', { id: 42 });
    assert.equal(bad.status, 400);
    assert.match(
      ((await bad.json()) as { error: { message: string } }).error.message,
      /bad input for containers.start: id/,
    );
    const missing = await post('store.status', {});
    assert.equal(missing.status, 501);
    assert.match(((await missing.json()) as { error: { message: string } }).error.message, /not available yet/);
    assert.equal((await post('no.such', {})).status, 404);
    const contract = await fetch(`${base}/api/contract`, { headers: { authorization: `Bearer ${token}` } });
    assert.ok(((await contract.json()) as { calls: Record<string, unknown> }).calls['images.pull']);
  });

  it('refuses WebSocket upgrades without the token or from another origin', async () => {
    const ws = base.replace('http', 'ws') + '/api/ws';
    await assert.rejects(wsOpen(ws), /401/);
    await assert.rejects(wsOpen(`${ws}?token=nope`), /401/);
    await assert.rejects(wsOpen(`${ws}?token=${token}`, { origin: 'http://evil.example' }), /403/);
  });

  it('runs calls over the WebSocket and pushes engine and docker events', async () => {
    const ws = await wsOpen(`${base.replace('http', 'ws')}/api/ws?token=${token}`, { origin: base });
    const frames: Array<{
      type: string;
      id?: number;
      name?: string;
      output?: unknown;
      error?: { message: string };
      data?: unknown;
    }> = [];
    ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
    const waitFor = async (pred: (f: (typeof frames)[number]) => boolean) => {
      for (let i = 0; i < 200; i++) {
        const f = frames.find(pred);
        if (f) return f;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error('frame not received');
    };
    ws.send(JSON.stringify({ type: 'call', id: 1, name: 'images.list', input: {} }));
    const list = await waitFor((f) => f.id === 1);
    assert.equal((list.output as { images: unknown[] }).images.length, 3);

    ws.send(
      JSON.stringify({
        type: 'call',
        id: 2,
        name: 'images.pull',
        input: { ref: '127.0.0.1:5000/e2e/busybox:1', opId: 'op-1' },
      }),
    );
    await waitFor((f) => f.id === 2 && f.type === 'result');
    const progress = frames.filter((f) => f.name === 'images.progress');
    assert.ok(progress.some((f) => (f.data as { percent: number }).percent === 100));
    const changed = await waitFor((f) => f.name === 'images.changed');
    assert.equal((changed.data as { images: unknown[] }).images.length, 4, 'docker events push the new list');

    svc.engine.set({ state: 'error', error: { message: 'the VM stopped unexpectedly', console: [] } });
    const st = await waitFor((f) => f.name === 'engine.status' && (f.data as { state: string }).state === 'error');
    assert.match(JSON.stringify(st.data), /stopped unexpectedly/);
    ws.send(JSON.stringify({ type: 'call', id: 3, name: 'containers.list', input: {} }));
    assert.match((await waitFor((f) => f.id === 3)).error?.message ?? '', /not running \(state: error\)/);
    svc.engine.set({ state: 'running', error: undefined });
    ws.close();
  });
});
