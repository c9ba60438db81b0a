// Build contexts for tiny FROM scratch images holding the host's static busybox.
import fs from 'node:fs';
import { Readable } from 'node:stream';
import tar from 'tar-stream';

export const BUSYBOX = '/bin/busybox';

/** A tar build context: Dockerfile + busybox, with an optional marker file to make images distinct. */
export function scratchContext(marker = 'berth', extraDockerfile = ''): NodeJS.ReadableStream {
  const pack = tar.pack();
  const dockerfile = `FROM scratch\nCOPY busybox /bin/busybox\nCOPY marker /marker\n${extraDockerfile}ENTRYPOINT ["/bin/busybox"]\n`;
  pack.entry({ name: 'Dockerfile' }, dockerfile);
  pack.entry({ name: 'busybox', mode: 0o755 }, fs.readFileSync(BUSYBOX));
  pack.entry({ name: 'marker' }, `${marker}\n`);
  pack.finalize();
  return Readable.from(pack);
}
