import { crc16 } from './crc.js';
import { type DecodedPacket, unstuff } from './packet.js';

export interface ParserCounters {
  packets: number;
  crcErrors: number;
  discardedBytes: number;
}

/** Shortest LEN a packet can carry: INST and the two CRC bytes. */
const MIN_LENGTH_FIELD = 3;

/**
 * Streaming Protocol 2.0 parser. Feed it chunks as they arrive from the port; it returns
 * every complete packet with a valid CRC. Bytes before a header are discarded. A header with
 * an impossible length or a failed CRC is treated as a false start: one byte is dropped and
 * the search resumes, so a real packet that starts inside the bad one is still found.
 */
export class PacketParser {
  readonly counters: ParserCounters = { packets: 0, crcErrors: 0, discardedBytes: 0 };
  #buffer: Buffer = Buffer.alloc(0);
  readonly #maxLengthField: number;

  /**
   * @param maxLengthField largest LEN accepted before a header is judged false. A lower
   *   bound makes the parser drop a corrupted length at once instead of waiting for up to 64 KiB.
   */
  constructor(maxLengthField = 0xffff) {
    this.#maxLengthField = maxLengthField;
  }

  /** Bytes held while waiting for the rest of a packet. */
  get pendingBytes(): number {
    return this.#buffer.length;
  }

  /** Drops any partial packet, e.g. before a new transaction. */
  reset(): void {
    this.counters.discardedBytes += this.#buffer.length;
    this.#buffer = Buffer.alloc(0);
  }

  push(chunk: Uint8Array): DecodedPacket[] {
    this.#buffer = this.#buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.#buffer, chunk]);
    const packets: DecodedPacket[] = [];

    for (;;) {
      const start = findHeader(this.#buffer);
      if (start < 0) {
        this.#keepPossibleHeaderStart();
        break;
      }
      this.#discard(start);
      if (this.#buffer.length < 7) break;

      const lengthField = this.#buffer.readUInt16LE(5);
      if (lengthField < MIN_LENGTH_FIELD || lengthField > this.#maxLengthField) {
        this.#discard(1);
        continue;
      }
      const total = lengthField + 7;
      if (this.#buffer.length < total) break;

      const expected = this.#buffer.readUInt16LE(total - 2);
      if (crc16(this.#buffer, 0, total - 2) !== expected) {
        this.counters.crcErrors++;
        this.#discard(1);
        continue;
      }

      packets.push({
        id: this.#buffer[4]!,
        instruction: this.#buffer[7]!,
        params: unstuff(this.#buffer.subarray(8, total - 2)),
      });
      this.counters.packets++;
      this.#buffer = this.#buffer.subarray(total);
    }
    return packets;
  }

  #discard(count: number): void {
    if (count <= 0) return;
    this.counters.discardedBytes += count;
    this.#buffer = this.#buffer.subarray(count);
  }

  /** Keeps a trailing FF, FF FF or FF FF FD that may be the start of a header split across chunks. */
  #keepPossibleHeaderStart(): void {
    const buffer = this.#buffer;
    let keep = 0;
    for (const length of [3, 2, 1]) {
      if (buffer.length >= length && isHeaderPrefix(buffer.subarray(buffer.length - length))) {
        keep = length;
        break;
      }
    }
    this.#discard(buffer.length - keep);
  }
}

const HEADER_PREFIX = [0xff, 0xff, 0xfd];

function isHeaderPrefix(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== HEADER_PREFIX[i]) return false;
  return true;
}

/** Index of the first FF FF FD 00, or -1. */
function findHeader(buffer: Buffer): number {
  for (let i = 0; i + 3 < buffer.length; i++) {
    if (buffer[i] === 0xff && buffer[i + 1] === 0xff && buffer[i + 2] === 0xfd && buffer[i + 3] === 0x00) return i;
  }
  return -1;
}
