// A small Docker Engine API client over the guest's /run/docker.sock (the agent avoids dockerode
// to keep its bundle small).
import http from 'node:http';
import fs from 'node:fs';
import { storeFromDriverStatus } from '../shared/image-store.ts';
import { DOCKER_SOCKET } from './guest-sockets.ts';

export class DockerApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function request(
  method: string,
  path: string,
  body?: NodeJS.ReadableStream | string,
  headers: Record<string, string> = {},
): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: DOCKER_SOCKET, method, path, headers }, resolve);
    req.on('error', reject);
    if (body === undefined) req.end();
    else if (typeof body === 'string') req.end(body);
    else body.pipe(req);
  });
}

async function text(res: http.IncomingMessage): Promise<string> {
  let s = '';
  for await (const c of res) s += c;
  return s;
}

async function check(res: http.IncomingMessage): Promise<http.IncomingMessage> {
  if ((res.statusCode ?? 500) < 400) return res;
  const body = await text(res);
  let msg = body;
  try {
    msg = (JSON.parse(body) as { message?: string }).message ?? body;
  } catch {
    /* plain text */
  }
  throw new DockerApiError(res.statusCode ?? 500, msg.trim());
}

export async function dockerJson<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await check(
    await request(
      method,
      path,
      body === undefined ? undefined : JSON.stringify(body),
      body === undefined ? {} : { 'content-type': 'application/json' },
    ),
  );
  const t = await text(res);
  return (t ? JSON.parse(t) : {}) as T;
}

/** Streams a GET response (e.g. /images/get) into a file. */
export async function dockerDownload(path: string, file: string): Promise<void> {
  const res = await check(await request('GET', path));
  await new Promise<void>((resolve, reject) => {
    const out = fs.createWriteStream(file);
    res.pipe(out);
    out.on('finish', resolve);
    out.on('error', reject);
    res.on('error', reject);
  });
}

/** POSTs a file (e.g. /images/load) and returns the JSON-lines answer, throwing on an error line. */
export async function dockerUpload(path: string, file: string): Promise<string[]> {
  const res = await check(
    await request('POST', path, fs.createReadStream(file), { 'content-type': 'application/x-tar' }),
  );
  const lines = (await text(res)).split('\n').filter((l) => l.trim());
  for (const l of lines) {
    const m = JSON.parse(l) as { error?: string; errorDetail?: { message?: string } };
    if (m.error) throw new DockerApiError(500, m.errorDetail?.message ?? m.error);
  }
  return lines;
}

export interface DockerInfo {
  Driver: string;
  DriverStatus: Array<[string, string]> | null;
  ServerVersion: string;
  Containers: number;
  Images: number;
}

export const dockerInfo = (): Promise<DockerInfo> => dockerJson<DockerInfo>('GET', '/info');

/** The store dockerd reports itself, from DriverStatus (as `docker info` shows it). */
export function storeFromInfo(info: DockerInfo): 'containerd' | 'classic' {
  return storeFromDriverStatus(info.DriverStatus);
}
