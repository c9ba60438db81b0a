// Per-install SSH keys: our client key and the guest's host key (pinned). Generated on first
// start, stored 0600 in the data dir, handed to the guest over fw_cfg, never put in the image.
import fs from 'node:fs';
import path from 'node:path';
import ssh2 from 'ssh2';

export interface InstallKeys {
  clientPrivateKey: string;
  authorizedKeysFile: string;
  hostKeyFile: string;
  /** The guest host key's public blob, compared byte for byte on every connection. */
  hostPublicKey: Buffer;
}

/**
 * ssh2's generator occasionally (about 1 in 256) drops a leading zero byte of an ed25519 public
 * key, producing a key nobody can parse: draw again until both halves parse.
 */
function generateEd25519(comment: string): { private: string; public: string } {
  for (;;) {
    const kp = ssh2.utils.generateKeyPairSync('ed25519', { comment });
    if (!(ssh2.utils.parseKey(kp.public) instanceof Error) && !(ssh2.utils.parseKey(kp.private) instanceof Error))
      return kp;
  }
}

export function ensureKeys(dir: string): InstallKeys {
  const client = path.join(dir, 'id_ed25519');
  const authorized = path.join(dir, 'authorized_keys');
  const host = path.join(dir, 'ssh_host_ed25519_key');
  const hostPub = path.join(dir, 'ssh_host_ed25519_key.pub');
  if (!fs.existsSync(client) || !fs.existsSync(authorized)) {
    const kp = generateEd25519('berth-host');
    fs.writeFileSync(client, kp.private, { mode: 0o600 });
    fs.writeFileSync(authorized, kp.public + '\n', { mode: 0o600 });
  }
  if (!fs.existsSync(host) || !fs.existsSync(hostPub)) {
    const kp = generateEd25519('berth-guest');
    fs.writeFileSync(host, kp.private, { mode: 0o600 });
    fs.writeFileSync(hostPub, kp.public + '\n', { mode: 0o600 });
  }
  for (const f of [client, authorized, host, hostPub]) fs.chmodSync(f, 0o600);
  const parsed = ssh2.utils.parseKey(fs.readFileSync(hostPub, 'utf8'));
  if (parsed instanceof Error) throw new Error(`guest host key ${hostPub} is unreadable: ${parsed.message}`);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  return {
    clientPrivateKey: fs.readFileSync(client, 'utf8'),
    authorizedKeysFile: authorized,
    hostKeyFile: host,
    hostPublicKey: key!.getPublicSSH(),
  };
}
