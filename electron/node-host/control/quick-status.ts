// `berth status` on a running host without loading the contract's schemas (zod and every schema
// cost more than the rest of the command): one engine.status call as a JSON line on the control
// socket, its answer checked by hand for the fields status prints. The host checked that answer
// against the contract before sending it. Anything unexpected returns null: the caller then asks
// through the full client, which validates the whole answer.
import net from 'node:net';
import type { EngineStatus } from '../../../engine/host/engine-types.ts';
import { readFrames } from './frames.ts';

const STATES = new Set(['stopped', 'starting', 'running', 'stopping', 'error']);

function looksLikeStatus(v: unknown): v is EngineStatus {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  const optionalString = (k: string): boolean => s[k] === undefined || typeof s[k] === 'string';
  const optionalObject = (k: string): boolean => s[k] === undefined || (typeof s[k] === 'object' && s[k] !== null);
  return (
    typeof s.state === 'string' &&
    STATES.has(s.state) &&
    typeof s.dockerSocket === 'string' &&
    typeof s.dataDir === 'string' &&
    ['stage', 'accelerator', 'acceleratorReason', 'dataPlane', 'startedAt'].every(optionalString) &&
    ['error', 'versions', 'fileSharing', 'adopted'].every(optionalObject) &&
    ['ports', 'portErrors', 'notices', 'timeline', 'guestTimeline'].every(
      (k) => s[k] === undefined || Array.isArray(s[k]),
    )
  );
}

/** The running host's status; null when no host answers or the answer is not what was expected. */
export function quickStatus(socketPath: string, timeoutMs = 5_000): Promise<EngineStatus | null> {
  return new Promise((resolve) => {
    const sock = net.createConnection(socketPath);
    const done = (v: EngineStatus | null): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(null), timeoutMs);
    sock.once('error', () => done(null));
    sock.once('connect', () =>
      sock.write(`${JSON.stringify({ type: 'call', id: 1, name: 'engine.status', input: {} })}\n`),
    );
    readFrames(sock, (raw) => {
      const f = raw as { type?: string; id?: number; output?: unknown } | undefined;
      if (f?.type === 'event') return;
      done(f?.type === 'result' && f.id === 1 && looksLikeStatus(f.output) ? f.output : null);
    });
  });
}
