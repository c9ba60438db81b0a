// `berth diagnose`'s archive: what a bug report needs is in it; keys and tokens never are.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { DataDir } from '../../engine/host/paths.ts';
import { ensureKeys } from '../../engine/host/keys.ts';
import { scrub, writeDiagnostics } from '../../engine/host/diagnostics.ts';
import type { ExecResult, GuestLink } from '../../engine/host/guest-link.ts';

async function readArchive(file: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => {
      chunks.push(c as Buffer);
    });
    stream.on('end', () => {
      files.set(header.name, Buffer.concat(chunks).toString());
      next();
    });
  });
  const done = new Promise<void>((r) => {
    extract.on('finish', () => r());
  });
  Readable.from(zlib.gunzipSync(fs.readFileSync(file))).pipe(extract);
  await done;
  return files;
}

test('the archive holds logs, guest state, settings and timeline, and no key or token', async () => {
  const data = new DataDir(fs.mkdtempSync(path.join(os.tmpdir(), 'berth-diag-')));
  data.ensure();
  const keys = ensureKeys(data.keysDir);
  const token = 'd41d8cd98f00b204e9800998ecf8427e';
  fs.writeFileSync(
    data.hostLog,
    `started\nDashboard: http://127.0.0.1:7000/?token=${token}\n${keys.clientPrivateKey}\n`,
  );
  fs.writeFileSync(data.consoleLog, 'berth-init: started\n');
  fs.writeFileSync(data.previousConsoleLog, 'Kernel panic - not syncing: Fatal exception in interrupt\n');
  fs.writeFileSync(path.join(data.logsDir, 'passt.log'), 'WARNING: Listen failed for HOST TCP port 127.0.0.1/8080\n');
  const guest = Object.assign(new EventEmitter(), {
    isClosed: false,
    async exec(cmd: string): Promise<ExecResult> {
      if (cmd.startsWith('docker info'))
        return {
          code: 0,
          stdout: 'HTTP Proxy: http://alice:s3cretpw@proxy.example:3128\nStorage Driver: overlayfs\n',
          stderr: '',
        };
      if (cmd.startsWith('cat /etc/docker/daemon.json'))
        return { code: 0, stdout: '{"features":{"containerd-snapshotter":true}}', stderr: '' };
      if (cmd.startsWith('journalctl'))
        return { code: 0, stdout: 'dockerd: API listen on /run/docker.sock\n', stderr: '' };
      return { code: 1, stdout: '', stderr: 'not in this fake' };
    },
    async run(): Promise<string> {
      return '';
    },
    async openStreamLocal(): Promise<never> {
      throw new Error('no');
    },
    async connectTcp(): Promise<never> {
      throw new Error('no');
    },
    end(): void {},
  }) as GuestLink;
  const out = path.join(data.root, 'diag.tar.gz');
  const status = {
    state: 'running' as const,
    dockerSocket: data.dockerSocket,
    dataDir: data.root,
    timeline: [{ stage: 'boot', startMs: 10, ms: 900 }],
  };
  await writeDiagnostics({
    data,
    status,
    guest,
    settings: { dockerEngine: { 'registry-mirrors': ['https://bob:hunter22@mirror.example'] } },
    secrets: [token],
    out,
  });
  assert.equal(fs.statSync(out).mode & 0o777, 0o600);
  const files = await readArchive(out);
  for (const name of [
    'status.json',
    'settings.json',
    'logs/host.log',
    'logs/console.log',
    'logs/console.previous.log',
    'guest/journal.txt',
    'guest/docker-info.txt',
    'guest/daemon.json',
  ]) {
    assert.ok(files.has(`berth-diagnostics/${name}`), `${name} is in the archive`);
  }
  assert.match(files.get('berth-diagnostics/status.json')!, /"stage": "boot"/, 'the start timeline is in it');
  assert.match(files.get('berth-diagnostics/guest/docker-info.txt')!, /Storage Driver: overlayfs/);
  assert.match(files.get('berth-diagnostics/logs/passt.log')!, /Listen failed/, "the VM network's log (passt)");
  assert.match(
    files.get('berth-diagnostics/logs/console.previous.log')!,
    /Kernel panic/,
    'the boot before this one (a retried panic)',
  );
  const all = [...files.values()].join('\n');
  for (const secret of [
    token,
    'hunter22',
    's3cretpw',
    keys.clientPrivateKey.split('\n')[1]!,
    fs.readFileSync(path.join(data.keysDir, 'ssh_host_ed25519_key'), 'utf8').split('\n')[1]!,
  ]) {
    assert.ok(!all.includes(secret), `a secret leaked: ${secret.slice(0, 8)}…`);
  }
  assert.ok(![...files.keys()].some((n) => n.includes('keys/')), 'nothing from the keys dir');
});

test('scrub: URL credentials, tokens in URLs, private keys, named secrets', () => {
  assert.equal(scrub('https://u:p@host/x'), 'https://<redacted>@host/x');
  assert.equal(scrub('GET /?a=1&token=abc123 HTTP'), 'GET /?a=1&token=<redacted> HTTP');
  assert.equal(
    scrub('x -----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY----- y'),
    'x <private key redacted> y',
  );
  assert.equal(scrub('the value s3cr3t-value here', ['s3cr3t-value']), 'the value <redacted> here');
});
