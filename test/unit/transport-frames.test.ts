// The mux wire format: frames survive any split of the byte stream, many frames share a chunk,
// a decoder discards what comes before the first HELLO, and malformed frames are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import {
  FrameDecoder,
  FrameType,
  MAX_PAYLOAD,
  ProtocolError,
  encode,
  encodeHello,
  header,
  parseHello,
  text,
  type Frame,
} from '../../engine/transport/frames.ts';

const session = crypto.randomBytes(8);
const hello = encodeHello(session, Buffer.alloc(8));
const sample = [
  encode(FrameType.OPEN, 1, text('unix:/run/docker.sock')),
  encode(FrameType.OPEN_OK, 1),
  encode(FrameType.DATA, 1, Buffer.from('GET /_ping HTTP/1.1\r\n\r\n')),
  encode(FrameType.DATA, 3, crypto.randomBytes(MAX_PAYLOAD)),
  encode(FrameType.EOF, 1),
  encode(FrameType.RESET, 3, text('gone')),
];
const wire = Buffer.concat([hello, ...sample]);

function decodeAll(chunks: Buffer[]): Frame[] {
  const d = new FrameDecoder();
  return chunks.flatMap((c) => d.push(c));
}

function check(frames: Frame[]): void {
  assert.equal(frames.length, 1 + sample.length);
  assert.equal(frames[0]?.type, FrameType.HELLO);
  assert.ok(parseHello(frames[0]?.payload ?? Buffer.alloc(0)).session.equals(session));
  frames
    .slice(1)
    .forEach((f, i) =>
      assert.ok(
        Buffer.concat([header(f.type, f.stream, f.payload.length), f.payload]).equals(sample[i] as Buffer),
        `frame ${i}`,
      ),
    );
}

test('all frames in one chunk', () => check(decodeAll([wire])));

test('a split at every offset gives the same frames', () => {
  for (let at = 0; at <= wire.length; at += at < 200 ? 1 : 997)
    check(decodeAll([wire.subarray(0, at), wire.subarray(at)]));
});

test('one byte at a time', () => check(decodeAll([...wire].map((b) => Buffer.from([b])))));

test('random splits into many pieces', () => {
  for (let round = 0; round < 50; round++) {
    const pieces: Buffer[] = [];
    for (let off = 0; off < wire.length; ) {
      const n = 1 + crypto.randomInt(5000);
      pieces.push(wire.subarray(off, off + n));
      off += n;
    }
    check(decodeAll(pieces));
  }
});

test('bytes before the first HELLO are discarded: the tail of a frame from a dead peer', () => {
  const stale = encode(FrameType.DATA, 7, crypto.randomBytes(3000)).subarray(1234);
  const d = new FrameDecoder();
  const frames = [...d.push(stale.subarray(0, 100)), ...d.push(Buffer.concat([stale.subarray(100), wire]))];
  check(frames);
  assert.equal(d.discarded, stale.length);
});

test('a frame longer than the maximum, or of an unknown type, is a protocol error', () => {
  const tooLong = Buffer.concat([hello, header(FrameType.DATA, 1, MAX_PAYLOAD + 1)]);
  assert.throws(() => new FrameDecoder().push(tooLong), ProtocolError);
  const unknown = Buffer.concat([hello, Buffer.from([99, 0, 0, 0, 1, 0, 0, 0, 0])]);
  assert.throws(() => new FrameDecoder().push(unknown), /unknown frame type 99/);
  assert.throws(() => encode(FrameType.DATA, 1, Buffer.alloc(MAX_PAYLOAD + 1)), RangeError);
  assert.throws(() => parseHello(Buffer.alloc(25)), /malformed HELLO/);
});
