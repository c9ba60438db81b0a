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

/**
 * A minimal static linux/arm64 executable that sleeps for ever (ppoll with no descriptors and no
 * timeout, again if a signal wakes it): one ELF header, one loadable segment, seven instructions.
 * The VM runs it through the arm64 binfmt rule, so an image holding it tests that rule.
 */
export function arm64SleeperElf(): Buffer {
  const code = [
    0xd2800000,
    0xd2800001,
    0xd2800002,
    0xd2800003, // mov x0..x3, #0: fds, nfds, timeout, sigmask
    0xd2800928, // mov x8, #73 (ppoll)
    0xd4000001, // svc #0
    0x17fffffa, // b back to the first instruction
  ];
  const text = Buffer.alloc(code.length * 4);
  code.forEach((insn, i) => text.writeUInt32LE(insn, i * 4));
  return staticElf(183, text, 0x10000n); // EM_AARCH64
}

/** A static ELF executable: one header, one loadable R+X segment at 0x400000, `text` its entry. */
export function staticElf(machine: number, text: Buffer, align: bigint): Buffer {
  const base = 0x400000;
  const ehdr = 64,
    phdr = 56,
    size = ehdr + phdr + text.length;
  const b = Buffer.alloc(size);
  b.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0); // ELF, 64-bit, little-endian, version 1
  b.writeUInt16LE(2, 16); // ET_EXEC
  b.writeUInt16LE(machine, 18);
  b.writeUInt32LE(1, 20);
  b.writeBigUInt64LE(BigInt(base + ehdr + phdr), 24); // entry
  b.writeBigUInt64LE(BigInt(ehdr), 32); // program headers right after this header
  b.writeUInt16LE(ehdr, 52);
  b.writeUInt16LE(phdr, 54);
  b.writeUInt16LE(1, 56);
  b.writeUInt32LE(1, ehdr); // PT_LOAD
  b.writeUInt32LE(5, ehdr + 4); // R + X
  b.writeBigUInt64LE(BigInt(base), ehdr + 16); // vaddr (offset 0)
  b.writeBigUInt64LE(BigInt(base), ehdr + 24); // paddr
  b.writeBigUInt64LE(BigInt(size), ehdr + 32); // filesz
  b.writeBigUInt64LE(BigInt(size), ehdr + 40); // memsz
  b.writeBigUInt64LE(align, ehdr + 48);
  text.copy(b, ehdr + phdr);
  return b;
}

/** A build context for a linux/arm64 image whose command is arm64SleeperElf(). */
export function arm64SleeperContext(): NodeJS.ReadableStream {
  const pack = tar.pack();
  pack.entry({ name: 'Dockerfile' }, 'FROM scratch\nCOPY sleep /sleep\nCMD ["/sleep"]\n');
  pack.entry({ name: 'sleep', mode: 0o755 }, arm64SleeperElf());
  pack.finalize();
  return Readable.from(pack);
}
