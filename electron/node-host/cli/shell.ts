// `berth shell [cmd…]`: an interactive shell or a single command in the VM, over the pinned SSH link.
import { GuestSsh } from '../../../engine/host/guest-ssh.ts';
import { ensureKeys } from '../../../engine/host/keys.ts';
import type { DataDir } from '../../../engine/host/paths.ts';

export async function shell(data: DataDir, sshPort: number, argv: string[]): Promise<number> {
  const keys = ensureKeys(data.keysDir);
  const ssh = await GuestSsh.connectOnce({
    port: sshPort,
    privateKey: keys.clientPrivateKey,
    hostPublicKey: keys.hostPublicKey,
  });
  const interactive = process.stdin.isTTY && argv.length === 0;
  const command = remoteCommand(argv);
  return new Promise((resolve, reject) => {
    const onStream = (err: Error | undefined, stream: import('ssh2').ClientChannel): void => {
      if (err) {
        reject(err);
        return;
      }
      if (process.stdin.isTTY) process.stdin.setRawMode(true);
      process.stdin.pipe(stream);
      stream.pipe(process.stdout);
      stream.stderr.pipe(process.stderr);
      const resize = (): void => stream.setWindow(process.stdout.rows, process.stdout.columns, 0, 0);
      process.stdout.on('resize', resize);
      stream.on('close', (code: number | null) => {
        if (process.stdin.isTTY) process.stdin.setRawMode(false);
        process.stdin.unpipe(stream);
        process.stdin.pause();
        ssh.end();
        resolve(code ?? 1);
      });
    };
    const pty = process.stdin.isTTY
      ? { rows: process.stdout.rows, cols: process.stdout.columns, term: process.env.TERM ?? 'xterm' }
      : false;
    if (interactive) ssh.raw.shell(pty || {}, onStream);
    else ssh.raw.exec(command, { pty }, onStream);
  });
}

/**
 * As ssh does: the arguments joined with spaces, for the remote shell to parse. So
 * `berth shell 'a; b'` runs both commands and `berth shell ls -l /` runs ls with its flags.
 */
export function remoteCommand(argv: string[]): string {
  return argv.join(' ');
}
