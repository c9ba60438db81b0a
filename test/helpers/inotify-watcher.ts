// A tiny static linux/amd64 inotify watcher for containers (the host's busybox has no inotifyd):
// `watch DIR` adds one watch for every event on DIR, writes "R" once it is in place, then copies
// each read of the inotify descriptor to stdout as it is (struct inotify_event records).
import { Readable } from 'node:stream';
import fs from 'node:fs';
import tar from 'tar-stream';
import { BUSYBOX, staticElf } from './scratch-image.ts';

export const IN = {
  ACCESS: 0x1,
  MODIFY: 0x2,
  ATTRIB: 0x4,
  CLOSE_WRITE: 0x8,
  CLOSE_NOWRITE: 0x10,
  OPEN: 0x20,
  MOVED_FROM: 0x40,
  MOVED_TO: 0x80,
  CREATE: 0x100,
  DELETE: 0x200,
  DELETE_SELF: 0x400,
  MOVE_SELF: 0x800,
  ISDIR: 0x40000000,
} as const;

/** The names of the bits set in an event mask, e.g. "ATTRIB|ISDIR". */
export function maskNames(mask: number): string {
  return Object.entries(IN)
    .filter(([, bit]) => (mask & bit) !== 0)
    .map(([n]) => n)
    .join('|');
}

/** Hand-assembled x86-64; each instruction's encoding is spelled out beside it. */
export function inotifyWatcherElf(): Buffer {
  const le32 = (n: number): number[] => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff];
  const code: Array<number[] | { jump: number; to: string } | { label: string }> = [
    [0x48, 0x81, 0xec, ...le32(0x1000)], // sub rsp, 0x1000: a 4 KiB buffer at rsp; argv[1] is now at rsp+0x1010
    [0x31, 0xff], // xor edi, edi: flags 0
    [0xb8, ...le32(294)], // mov eax, 294 (inotify_init1)
    [0x0f, 0x05], // syscall
    [0x49, 0x89, 0xc4], // mov r12, rax: the descriptor
    [0x4c, 0x89, 0xe7], // mov rdi, r12
    [0x48, 0x8b, 0xb4, 0x24, ...le32(0x1010)], // mov rsi, [rsp+0x1010]: the path
    [0xba, ...le32(0xfff)], // mov edx, IN_ALL_EVENTS
    [0xb8, ...le32(254)], // mov eax, 254 (inotify_add_watch)
    [0x0f, 0x05], // syscall
    [0x48, 0x85, 0xc0], // test rax, rax
    { jump: 0x78, to: 'fail' }, // js fail
    [0xc6, 0x04, 0x24, 0x52], // mov byte [rsp], 'R'
    [0xbf, ...le32(1)], // mov edi, 1 (stdout)
    [0x48, 0x89, 0xe6], // mov rsi, rsp
    [0xba, ...le32(1)], // mov edx, 1
    [0xb8, ...le32(1)], // mov eax, 1 (write)
    [0x0f, 0x05], // syscall
    { label: 'loop' },
    [0x4c, 0x89, 0xe7], // mov rdi, r12
    [0x48, 0x89, 0xe6], // mov rsi, rsp
    [0xba, ...le32(0x1000)], // mov edx, 0x1000
    [0x31, 0xc0], // xor eax, eax (read)
    [0x0f, 0x05], // syscall
    [0x48, 0x85, 0xc0], // test rax, rax
    { jump: 0x7e, to: 'fail' }, // jle fail
    [0x48, 0x89, 0xc2], // mov rdx, rax: the bytes read
    [0xbf, ...le32(1)], // mov edi, 1
    [0x48, 0x89, 0xe6], // mov rsi, rsp
    [0xb8, ...le32(1)], // mov eax, 1 (write)
    [0x0f, 0x05], // syscall
    { jump: 0xeb, to: 'loop' }, // jmp loop
    { label: 'fail' },
    [0xbf, ...le32(1)], // mov edi, 1: exit status
    [0xb8, ...le32(60)], // mov eax, 60 (exit)
    [0x0f, 0x05], // syscall
  ];
  // Two passes: label offsets, then the short jumps' displacements (from the jump's end).
  const labels = new Map<string, number>();
  let at = 0;
  for (const c of code) {
    if ('label' in c) labels.set(c.label, at);
    else at += 'jump' in c ? 2 : c.length;
  }
  const bytes: number[] = [];
  for (const c of code) {
    if ('label' in c) continue;
    if ('jump' in c) {
      bytes.push(c.jump, (labels.get(c.to)! - (bytes.length + 2)) & 0xff);
      continue;
    }
    bytes.push(...c);
  }
  return staticElf(62, Buffer.from(bytes), 0x1000n); // EM_X86_64
}

export interface InotifyEvent {
  mask: number;
  name: string;
}

/** Decodes the watcher's output after its "R"; a partial record at the end waits for more bytes. */
export function parseEvents(buf: Buffer): { ready: boolean; events: InotifyEvent[] } {
  if (buf.length === 0 || buf[0] !== 0x52) return { ready: false, events: [] };
  const events: InotifyEvent[] = [];
  let at = 1;
  while (at + 16 <= buf.length) {
    const len = buf.readUInt32LE(at + 12);
    if (at + 16 + len > buf.length) break;
    events.push({
      mask: buf.readUInt32LE(at + 4),
      name: buf
        .subarray(at + 16, at + 16 + len)
        .toString('utf8')
        .replace(/\0+$/, ''),
    });
    at += 16 + len;
  }
  return { ready: true, events };
}

/** A build context: busybox and the watcher (/watch). */
export function watcherContext(): NodeJS.ReadableStream {
  const pack = tar.pack();
  pack.entry(
    { name: 'Dockerfile' },
    'FROM scratch\nCOPY busybox /bin/busybox\nCOPY watch /watch\nENTRYPOINT ["/watch"]\n',
  );
  pack.entry({ name: 'busybox', mode: 0o755 }, fs.readFileSync(BUSYBOX));
  pack.entry({ name: 'watch', mode: 0o755 }, inotifyWatcherElf());
  pack.finalize();
  return Readable.from(pack);
}
