import { type StatusPacket, asStatus, isStatus } from '../dynamixel/packet.js';
import { PacketParser } from '../dynamixel/parser.js';

/** A status packet the bus waits for: from motor `id`, carrying `length` data bytes. */
export interface ExpectedReply {
  id: number;
  length: number;
}

/** Largest LEN a status packet with `dataLength` bytes can have once stuffed. */
export function maxStatusLengthField(dataLength: number): number {
  const unstuffed = dataLength + 2;
  return unstuffed + Math.ceil(unstuffed / 3) + 2;
}

/**
 * Collects the status packets of one transaction attempt. Packets from motors that were not
 * asked, instruction packets echoed by the adapter, and replies of the wrong size are counted
 * as unexpected and ignored. With `expected` set to 'any' (broadcast ping) it never completes
 * on its own and collects until the caller's time window ends.
 */
export class ReplyCollector {
  readonly replies = new Map<number, StatusPacket>();
  unexpectedPackets = 0;
  readonly #parser: PacketParser;
  readonly #expected: Map<number, number> | 'any';
  readonly #anyLength: number;
  #onComplete: () => void = () => {};
  #complete = false;

  constructor(expected: readonly ExpectedReply[] | 'any', anyLength = 3) {
    this.#anyLength = anyLength;
    this.#expected = expected === 'any' ? 'any' : new Map(expected.map((reply) => [reply.id, reply.length]));
    const lengths = expected === 'any' ? [anyLength] : expected.map((reply) => reply.length);
    this.#parser = new PacketParser(maxStatusLengthField(Math.max(0, ...lengths)));
    if (this.#expected !== 'any' && this.#expected.size === 0) this.#complete = true;
  }

  get crcErrors(): number {
    return this.#parser.counters.crcErrors;
  }

  get complete(): boolean {
    return this.#complete;
  }

  /** Registers the function called once every expected reply has arrived. */
  whenComplete(callback: () => void): void {
    this.#onComplete = callback;
    if (this.#complete) callback();
  }

  push(chunk: Buffer): void {
    for (const packet of this.#parser.push(chunk)) {
      if (!isStatus(packet) || packet.params.length < 1) {
        this.unexpectedPackets++;
        continue;
      }
      const status = asStatus(packet);
      if (!this.#accepts(status)) {
        this.unexpectedPackets++;
        continue;
      }
      this.replies.set(status.id, status);
    }

    if (!this.#complete && this.#expected !== 'any' && this.replies.size === this.#expected.size) {
      this.#complete = true;
      this.#onComplete();
    }
  }

  #accepts(status: StatusPacket): boolean {
    if (this.replies.has(status.id)) return false;
    const length = this.#expected === 'any' ? this.#anyLength : this.#expected.get(status.id);
    // A motor that reports an error may send no data, so only error-free replies are size-checked.
    return length !== undefined && (status.error !== 0 || status.data.length === length);
  }
}
