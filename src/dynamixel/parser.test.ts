import { describe, expect, it } from 'vitest';
import { pingPacket, readPacket } from './instructions.js';
import { asStatus, encodeStatusPacket } from './packet.js';
import { PacketParser } from './parser.js';

const statusA = encodeStatusPacket(1, 0, Uint8Array.of(0xa6, 0x00, 0x00, 0x00));
const statusB = encodeStatusPacket(2, 0, Uint8Array.of(0x1f, 0x08, 0x00, 0x00));

function ids(packets: { id: number }[]): number[] {
  return packets.map((packet) => packet.id);
}

describe('PacketParser', () => {
  it('skips garbage before a packet', () => {
    const parser = new PacketParser();
    const packets = parser.push(Buffer.concat([Buffer.from([0x00, 0x13, 0xff, 0x42, 0xfd]), statusA]));

    expect(ids(packets)).toEqual([1]);
    expect(parser.counters.discardedBytes).toBe(5);
    expect(parser.counters.packets).toBe(1);
  });

  it('returns several packets from one chunk', () => {
    const parser = new PacketParser();
    const packets = parser.push(Buffer.concat([statusA, statusB, pingPacket(3)]));
    expect(ids(packets)).toEqual([1, 2, 3]);
  });

  it('joins a packet split byte by byte', () => {
    const parser = new PacketParser();
    const bytes = Buffer.concat([statusA, statusB]);
    const packets = [];
    for (const byte of bytes) packets.push(...parser.push(Uint8Array.of(byte)));

    expect(ids(packets)).toEqual([1, 2]);
    expect(asStatus(packets[1]!).data.readInt32LE(0)).toBe(2079);
    expect(parser.counters.discardedBytes).toBe(0);
  });

  it('joins a header split at every position', () => {
    for (let cut = 1; cut < statusA.length; cut++) {
      const parser = new PacketParser();
      const first = parser.push(Buffer.concat([Buffer.of(0x55, 0xff), statusA.subarray(0, cut)]));
      const second = parser.push(statusA.subarray(cut));
      expect(first).toEqual([]);
      expect(ids(second)).toEqual([1]);
    }
  });

  it('resyncs after a bad CRC', () => {
    const corrupted = Buffer.from(statusA);
    corrupted[10] = corrupted[10]! ^ 0x01;
    const parser = new PacketParser();
    const packets = parser.push(Buffer.concat([corrupted, statusB]));

    expect(ids(packets)).toEqual([2]);
    expect(parser.counters.crcErrors).toBe(1);
    expect(parser.counters.discardedBytes).toBe(corrupted.length);
  });

  it('finds a packet inside a false header', () => {
    // A false header whose LEN (0x20) swallows the real packets after it: the CRC check
    // fails once enough bytes arrive, and the parser searches again one byte later.
    const falseHeader = Buffer.of(0xff, 0xff, 0xfd, 0x00, 0x05, 0x20, 0x00);
    const parser = new PacketParser();
    const packets = parser.push(Buffer.concat([falseHeader, statusA, statusB, readPacket(1, 132, 4)]));

    expect(ids(packets)).toEqual([1, 2, 1]);
    expect(parser.counters.crcErrors).toBe(1);
  });

  it('drops a header with an impossible length', () => {
    const parser = new PacketParser();
    const packets = parser.push(Buffer.concat([Buffer.of(0xff, 0xff, 0xfd, 0x00, 0x01, 0x02, 0x00), statusA]));

    expect(ids(packets)).toEqual([1]);
    expect(parser.counters.crcErrors).toBe(0);
  });

  it('rejects lengths above its limit', () => {
    const parser = new PacketParser(64);
    const packets = parser.push(Buffer.concat([Buffer.of(0xff, 0xff, 0xfd, 0x00, 0x01, 0x00, 0x10), statusA]));
    expect(ids(packets)).toEqual([1]);
  });

  it('keeps a partial packet until reset', () => {
    const parser = new PacketParser();
    parser.push(statusA.subarray(0, 9));
    expect(parser.pendingBytes).toBe(9);

    parser.reset();
    expect(parser.pendingBytes).toBe(0);
    expect(parser.push(statusA.subarray(9))).toEqual([]);
    expect(ids(parser.push(statusB))).toEqual([2]);
  });
});
