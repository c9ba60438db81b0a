// The `berth` docker context, written where the docker CLI keeps contexts, so no CLI is needed.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const CONTEXT_NAME = 'berth';

export function dockerConfigDir(env = process.env): string {
  return env.DOCKER_CONFIG ? path.resolve(env.DOCKER_CONFIG) : path.join(os.homedir(), '.docker');
}

/** Creates or updates the context; makes it current only when asked. */
export function writeDockerContext(socketPath: string, opts: { use?: boolean; configDir?: string } = {}): string {
  const dir = opts.configDir ?? dockerConfigDir();
  const id = crypto.createHash('sha256').update(CONTEXT_NAME).digest('hex');
  const metaDir = path.join(dir, 'contexts', 'meta', id);
  fs.mkdirSync(metaDir, { recursive: true });
  const meta = {
    Name: CONTEXT_NAME,
    Metadata: { Description: 'Berth (Docker Engine in the Berth VM)' },
    Endpoints: { docker: { Host: `unix://${socketPath}`, SkipTLSVerify: false } },
  };
  fs.writeFileSync(path.join(metaDir, 'meta.json'), JSON.stringify(meta));
  if (opts.use) {
    const cfgFile = path.join(dir, 'config.json');
    let cfg: Record<string, unknown> = {};
    try {
      cfg = JSON.parse(fs.readFileSync(cfgFile, 'utf8')) as Record<string, unknown>;
    } catch {
      /* new file */
    }
    cfg.currentContext = CONTEXT_NAME;
    fs.writeFileSync(cfgFile, JSON.stringify(cfg, null, 2));
  }
  return path.join(metaDir, 'meta.json');
}
