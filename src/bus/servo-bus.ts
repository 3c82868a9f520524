import { monotonicMs } from '../common/clock.js';
import { createLogger } from '../common/log.js';
import {
  bulkReadPacket,
  bulkWritePacket,
  pingPacket,
  readPacket,
  rebootPacket,
  syncReadPacket,
  syncWritePacket,
  writePacket,
} from '../dynamixel/instructions.js';
import { BROADCAST_ID, Instruction, type StatusPacket } from '../dynamixel/packet.js';
import { decodeStatusError } from '../dynamixel/status-error.js';
import { NoStatusPacketError, StatusPacketError } from './bus-errors.js';
import { type ExpectedReply, ReplyCollector } from './reply-collector.js';
import { SerialPortTransport } from './serial-transport.js';
import { STATUS_PACKET_OVERHEAD, transactionTimeoutMs, wireTimeUs } from './timing.js';
import type { ByteTransport } from './transport.js';
import { type BusCounters, type DynamixelBusOptions, MAX_MOTOR_ID, type PingResult, type ScanEntry, type TransactionRecord } from './bus-types.js';
import { ALL_MOTOR_IDS, scanBus } from './bus-scan.js';

export { MAX_MOTOR_ID };
export type { BusCounters, DynamixelBusOptions, PingResult, ScanEntry, TransactionRecord };

const log = createLogger('servo-bus');

/** Data bytes of a ping status packet: model number (2) and firmware version (1). */
const PING_DATA_LENGTH = 3;

/** Status error number 3: the motor received the instruction packet with a bad CRC, so sending again may help. */
const MOTOR_SAW_CRC_ERROR = 3;

interface Request {
  instruction: number;
  expected: readonly ExpectedReply[];
  /** Builds the packet for the listed motors; reads rebuild it with only the motors still missing. */
  build: (expected: readonly ExpectedReply[]) => Buffer;
  tries: number;
  /** Pings return their data even with an error byte, because a hardware alert does not stop a motor from replying. */
  acceptStatusErrors?: boolean;
}

/**
 * A Dynamixel Protocol 2.0 bus on one port. Transactions run one at a time in call order.
 * Each waits for its status packets for the wire time of the bytes, the motors' return delay,
 * the adapter latency and a margin. It is sent again, up to `tries` times in all, for the
 * motors that did not reply.
 */
export class DynamixelBus {
  readonly counters: BusCounters = { transactions: 0, timeouts: 0, crcErrors: 0, retries: 0, statusErrors: 0, unexpectedPackets: 0, strayBytes: 0 };
  readonly #transport: ByteTransport;
  readonly #latencyMs: number;
  readonly #returnDelayUs: number;
  readonly #tries: number;
  readonly #marginMs: number;
  readonly #statusReturnLevel: 0 | 1 | 2;
  #collector: ReplyCollector | null = null;
  #unsubscribe: (() => void) | null = null;
  #queue: Promise<unknown> = Promise.resolve();
  #lastTransaction: TransactionRecord | null = null;
  #retryWarning = { lastMs: -Infinity, suppressed: 0 };

  constructor(transport: ByteTransport, options: DynamixelBusOptions = {}) {
    this.#transport = transport;
    this.#latencyMs = options.latencyMs ?? 16;
    this.#returnDelayUs = options.returnDelayUs ?? 500;
    this.#tries = options.tries ?? 3;
    this.#marginMs = options.marginMs ?? 5;
    this.#statusReturnLevel = options.statusReturnLevel ?? 2;
    if (!Number.isInteger(this.#tries) || this.#tries < 1) throw new RangeError(`tries must be a positive integer, got ${this.#tries}`);
  }

  /** Opens a bus on a serial port. */
  static async openSerial(path: string, baudRate: number, options: DynamixelBusOptions = {}): Promise<DynamixelBus> {
    const bus = new DynamixelBus(new SerialPortTransport(path, baudRate), options);
    await bus.open();
    return bus;
  }

  get port(): string {
    return this.#transport.path;
  }

  get baudRate(): number {
    return this.#transport.baudRate;
  }

  get lastTransaction(): TransactionRecord | null {
    return this.#lastTransaction;
  }

  async open(): Promise<void> {
    await this.#transport.open();
    this.#unsubscribe = this.#transport.onData((chunk) => this.#receive(chunk));
    log.info(`${this.port}: opened at ${this.baudRate} baud`);
  }

  async close(): Promise<void> {
    await this.#enqueue(async () => {
      this.#unsubscribe?.();
      this.#unsubscribe = null;
      await this.#transport.close();
    });
    log.info(`${this.port}: closed after ${this.counters.transactions} transactions, ${this.counters.retries} retries, ${this.counters.timeouts} timeouts`);
  }

  /** Pings one motor; returns null when it does not reply. */
  ping(id: number, tries = this.#tries): Promise<PingResult | null> {
    checkMotorId(id);
    return this.#enqueue(async () => {
      const request: Request = { instruction: Instruction.Ping, expected: [{ id, length: PING_DATA_LENGTH }], build: () => pingPacket(id), tries, acceptStatusErrors: true };
      const { replies } = await this.#run(request);
      const status = replies.get(id);
      return status ? pingResult(status) : null;
    });
  }

  /** Pings every motor at once and returns those that replied, by ascending ID. */
  broadcastPing(): Promise<PingResult[]> {
    return this.#enqueue(() => this.#broadcastPing());
  }

  read(id: number, address: number, length: number): Promise<Buffer> {
    checkMotorId(id);
    return this.#enqueue(async () => {
      const request: Request = { instruction: Instruction.Read, expected: [{ id, length }], build: () => readPacket(id, address, length), tries: this.#tries };
      return this.#dataOf(await this.#runOrThrow(request), id);
    });
  }

  /** Writes `data` at `address`; waits for the status packet unless the Status Return Level suppresses it. */
  write(id: number, address: number, data: Uint8Array): Promise<void> {
    checkMotorId(id);
    const packet = writePacket(id, address, data);
    if (this.#statusReturnLevel < 2) return this.#enqueue(() => this.#send(Instruction.Write, [id], packet));
    return this.#enqueue(async () => {
      await this.#runOrThrow({ instruction: Instruction.Write, expected: [{ id, length: 0 }], build: () => packet, tries: this.#tries });
    });
  }

  /** Reads the same field from several motors; the map is in the order of `ids`. */
  syncRead(address: number, length: number, ids: readonly number[]): Promise<Map<number, Buffer>> {
    ids.forEach(checkMotorId);
    checkUnique(ids);
    return this.#enqueue(async () => {
      const request: Request = {
        instruction: Instruction.SyncRead,
        expected: ids.map((id) => ({ id, length })),
        build: (expected) => syncReadPacket(address, length, expected.map((reply) => reply.id)),
        tries: this.#tries,
      };
      const replies = await this.#runOrThrow(request);
      return new Map(ids.map((id) => [id, this.#dataOf(replies, id)]));
    });
  }

  /** Writes the same field on several motors in one packet; motors send no status packet. */
  syncWrite(address: number, length: number, values: ReadonlyMap<number, Uint8Array>): Promise<void> {
    const entries = [...values].map(([id, data]) => ({ id, data }));
    entries.forEach((entry) => checkMotorId(entry.id));
    const packet = syncWritePacket(address, length, entries);
    return this.#enqueue(() => this.#send(Instruction.SyncWrite, [...values.keys()], packet));
  }

  /** Reads a different field from each motor; the map is in the order of `entries`. */
  bulkRead(entries: readonly { id: number; address: number; length: number }[]): Promise<Map<number, Buffer>> {
    entries.forEach((entry) => checkMotorId(entry.id));
    checkUnique(entries.map((entry) => entry.id));
    const byId = new Map(entries.map((entry) => [entry.id, entry]));
    return this.#enqueue(async () => {
      const request: Request = {
        instruction: Instruction.BulkRead,
        expected: entries.map(({ id, length }) => ({ id, length })),
        build: (expected) => bulkReadPacket(expected.map((reply) => byId.get(reply.id)!)),
        tries: this.#tries,
      };
      const replies = await this.#runOrThrow(request);
      return new Map(entries.map(({ id }) => [id, this.#dataOf(replies, id)]));
    });
  }

  /** Writes a different field on each motor in one packet; motors send no status packet. */
  bulkWrite(entries: readonly { id: number; address: number; data: Uint8Array }[]): Promise<void> {
    entries.forEach((entry) => checkMotorId(entry.id));
    checkUnique(entries.map((entry) => entry.id));
    const packet = bulkWritePacket(entries);
    return this.#enqueue(() => this.#send(Instruction.BulkWrite, entries.map((entry) => entry.id), packet));
  }

  /** Reboots a motor, which clears a hardware alert; the motor replies before it restarts. */
  reboot(id: number): Promise<void> {
    checkMotorId(id);
    return this.#enqueue(async () => {
      await this.#runOrThrow({ instruction: Instruction.Reboot, expected: [{ id, length: 0 }], build: () => rebootPacket(id), tries: this.#tries });
    });
  }

  /**
   * Finds every motor on the bus and reads its Present Position (X-series address 132).
   * Broadcast ping comes first. When it finds nothing, or replies collided and failed their
   * CRC, each ID in `fallbackIds` (default 0 to 252) is pinged on its own.
   */
  scan(fallbackIds: readonly number[] = ALL_MOTOR_IDS): Promise<ScanEntry[]> {
    fallbackIds.forEach(checkMotorId);
    return scanBus(this, fallbackIds);
  }

  async #broadcastPing(): Promise<PingResult[]> {
    const packet = pingPacket(BROADCAST_ID);
    const motors = MAX_MOTOR_ID + 1;
    const collector = new ReplyCollector('any', PING_DATA_LENGTH);
    const timeoutMs = this.#timeoutMs(packet.length, motors * (STATUS_PACKET_OVERHEAD + PING_DATA_LENGTH), motors);

    const started = monotonicMs();
    await this.#attempt(packet, collector, timeoutMs);
    this.#account(collector, 0);
    const results = [...collector.replies.values()].map(pingResult).sort((a, b) => a.id - b.id);
    this.#record(Instruction.Ping, [BROADCAST_ID], 1, packet.length + collector.replies.size * (STATUS_PACKET_OVERHEAD + PING_DATA_LENGTH), started);
    log.debug(`${this.port}: broadcast ping found ${results.length} motors in ${(monotonicMs() - started).toFixed(1)} ms`);
    return results;
  }

  /** Runs a request with retries; returns the status packets that arrived and the IDs still missing. */
  async #run(request: Request): Promise<{ replies: Map<number, StatusPacket>; missing: number[]; tries: number }> {
    const replies = new Map<number, StatusPacket>();
    const rejected = new Map<number, StatusPacket>();
    let pending = request.expected;
    let tries = 0;
    let busBytes = 0;
    const started = monotonicMs();

    while (pending.length > 0 && tries < request.tries) {
      if (tries > 0) this.#noteRetry(request, pending, tries);
      tries++;
      const packet = request.build(pending);
      const bytesExpected = pending.reduce((sum, reply) => sum + STATUS_PACKET_OVERHEAD + reply.length, 0);
      const collector = new ReplyCollector(pending);
      await this.#attempt(packet, collector, this.#timeoutMs(packet.length, bytesExpected, pending.length));
      this.#account(collector, pending.length - collector.replies.size);
      busBytes += packet.length + bytesExpected;

      for (const [id, status] of collector.replies) {
        if (status.error !== 0) this.counters.statusErrors++;
        if (status.error === MOTOR_SAW_CRC_ERROR && !request.acceptStatusErrors) {
          rejected.set(id, status);
          continue;
        }
        if (status.error !== 0 && !request.acceptStatusErrors) throw this.#statusError(status);
        replies.set(id, status);
      }
      pending = pending.filter((reply) => !replies.has(reply.id));
    }

    this.#record(request.instruction, request.expected.map((reply) => reply.id), tries, busBytes, started);
    // A motor that kept reporting a CRC error did reply, so its error says more than "no status packet".
    const lastRejected = pending.map((reply) => rejected.get(reply.id)).find((status) => status !== undefined);
    if (lastRejected) throw this.#statusError(lastRejected);
    return { replies, missing: pending.map((reply) => reply.id), tries };
  }

  async #runOrThrow(request: Request): Promise<Map<number, StatusPacket>> {
    const { replies, missing, tries } = await this.#run(request);
    if (missing.length > 0) throw new NoStatusPacketError(this.port, missing, tries);
    return replies;
  }

  #statusError(status: StatusPacket): StatusPacketError {
    return new StatusPacketError(this.port, status.id, decodeStatusError(status.error), status.data);
  }

  #dataOf(replies: Map<number, StatusPacket>, id: number): Buffer {
    return Buffer.from(replies.get(id)!.data);
  }

  /** Sends a packet that gets no status packet. */
  async #send(instruction: number, motorIds: readonly number[], packet: Buffer): Promise<void> {
    const started = monotonicMs();
    await this.#transport.write(packet);
    this.counters.transactions++;
    this.#record(instruction, motorIds, 1, packet.length, started);
  }

  async #attempt(packet: Buffer, collector: ReplyCollector, timeoutMs: number): Promise<void> {
    const completed = new Promise<void>((resolve) => collector.whenComplete(resolve));
    this.#collector = collector;
    let timer: NodeJS.Timeout | undefined;
    try {
      await this.#transport.write(packet);
      const timedOut = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      });
      await Promise.race([completed, timedOut]);
    } finally {
      clearTimeout(timer);
      this.#collector = null;
    }
  }

  #receive(chunk: Buffer): void {
    if (this.#collector) this.#collector.push(chunk);
    else this.counters.strayBytes += chunk.length;
  }

  #timeoutMs(bytesSent: number, bytesExpected: number, replies: number): number {
    return transactionTimeoutMs({
      baudRate: this.baudRate,
      bytesSent,
      bytesExpected,
      replies,
      returnDelayUs: this.#returnDelayUs,
      latencyMs: this.#latencyMs,
      marginMs: this.#marginMs,
    });
  }

  #account(collector: ReplyCollector, missingReplies: number): void {
    this.counters.transactions++;
    this.counters.crcErrors += collector.crcErrors;
    this.counters.unexpectedPackets += collector.unexpectedPackets;
    if (missingReplies > 0) this.counters.timeouts++;
  }

  #record(instruction: number, motorIds: readonly number[], tries: number, busBytes: number, startedMs: number): void {
    this.#lastTransaction = {
      instruction,
      motorIds,
      tries,
      busTimeUs: wireTimeUs(busBytes, this.baudRate),
      elapsedMs: monotonicMs() - startedMs,
    };
  }

  /** Logs a retry, at most one warning per second with the count of those left out. */
  #noteRetry(request: Request, pending: readonly ExpectedReply[], tries: number): void {
    this.counters.retries++;
    const ids = pending.map((reply) => reply.id).join(', ');
    const message = `${this.port}: instruction 0x${request.instruction.toString(16)} try ${tries + 1} of ${request.tries} for motors ${ids}`;
    const now = monotonicMs();
    if (now - this.#retryWarning.lastMs < 1000) {
      this.#retryWarning.suppressed++;
      log.debug(message);
      return;
    }
    const suppressed = this.#retryWarning.suppressed;
    log.warn(suppressed > 0 ? `${message} (${suppressed} more ${suppressed === 1 ? 'retry' : 'retries'} in the last second)` : message);
    this.#retryWarning = { lastMs: now, suppressed: 0 };
  }

  #enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}

function pingResult(status: StatusPacket): PingResult {
  return { id: status.id, modelNumber: status.data.readUInt16LE(0), firmware: status.data[2]! };
}

function checkMotorId(id: number): void {
  if (!Number.isInteger(id) || id < 0 || id > MAX_MOTOR_ID) {
    throw new RangeError(`invalid motor ID ${id}: must be 0..${MAX_MOTOR_ID}`);
  }
}

function checkUnique(ids: readonly number[]): void {
  const seen = new Set<number>();
  for (const id of ids) {
    if (seen.has(id)) throw new RangeError(`motor ID ${id} is listed twice`);
    seen.add(id);
  }
}
