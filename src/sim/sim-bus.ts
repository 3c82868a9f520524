import { BROADCAST_ID, type DecodedPacket, Instruction, encodeInstructionPacket, encodeStatusPacket } from '../dynamixel/packet.js';
import { StatusErrorCode } from '../dynamixel/status-error.js';
import { wireTimeNs } from './wire-time.js';
import type { ServoReply, XSeriesServo } from './xseries-servo.js';

/** A status packet and the monotonic time at which its last byte has crossed the emulated wire. */
export interface ScheduledReply {
  atNs: bigint;
  bytes: Buffer;
}

/** Status Return Level needed for a reply: 0 answers Ping only, 1 also Read, 2 everything. */
const READ_LEVEL = 1;
const ALL_LEVEL = 2;

type Answer = { servo: XSeriesServo; reply: ServoReply; level: number };

const { DataLengthError, InstructionError } = StatusErrorCode;

/**
 * The servos on one emulated bus and how they answer instruction packets. Replies are
 * timed as on a half-duplex RS-485 bus at `baudRate`: each is due after the instruction's
 * wire time, the replying servo's Return Delay Time and its own wire time (10 bits per
 * byte), and after any earlier reply on the bus has finished.
 */
export class SimBus {
  readonly baudRate: number;
  readonly servos: readonly XSeriesServo[];
  #busFreeAtNs = 0n;

  constructor(options: { baudRate: number; servos: readonly XSeriesServo[] }) {
    this.baudRate = options.baudRate;
    this.servos = options.servos;
  }

  /** Servo that hears `id` at the bus's baud rate; a servo silenced by `setResponding(false)` hears nothing. */
  servo(id: number): XSeriesServo | undefined {
    return this.#listening().find((servo) => servo.id === id);
  }

  /** Handles one instruction packet whose last byte arrived at `receivedAtNs`; returns the replies in wire order. */
  handle(packet: DecodedPacket, receivedAtNs: bigint): ScheduledReply[] {
    const answers = packet.id === BROADCAST_ID ? this.#handleBroadcast(packet) : this.#handleUnicast(packet);

    const instructionBytes = encodeInstructionPacket(packet.id, packet.instruction, packet.params).length;
    let cursor = receivedAtNs + wireTimeNs(instructionBytes, this.baudRate);
    if (cursor < this.#busFreeAtNs) cursor = this.#busFreeAtNs;

    const replies: ScheduledReply[] = [];
    for (const { servo, reply, level } of answers) {
      // A servo whose Status Return Level keeps it quiet also ends a chain of replies.
      if (servo.statusReturnLevel < level) break;
      // A unicast reply carries the ID the instruction addressed, even after a write changed it.
      const id = packet.id === BROADCAST_ID ? servo.id : packet.id;
      const bytes = encodeStatusPacket(id, reply.error, reply.data);
      cursor += BigInt(servo.returnDelayUs) * 1000n + wireTimeNs(bytes.length, this.baudRate);
      replies.push({ atNs: cursor, bytes });
    }
    this.#busFreeAtNs = cursor;
    return replies;
  }

  #handleUnicast(packet: DecodedPacket): Answer[] {
    const servo = this.servo(packet.id);
    if (!servo) return [];
    const params = packet.params;

    switch (packet.instruction) {
      case Instruction.Ping:
        return [{ servo, reply: pingReply(servo), level: 0 }];
      case Instruction.Read: {
        if (params.length !== 4) return [{ servo, reply: failure(servo, DataLengthError), level: READ_LEVEL }];
        return [{ servo, reply: servo.read(params.readUInt16LE(0), params.readUInt16LE(2)), level: READ_LEVEL }];
      }
      case Instruction.Write:
      case Instruction.RegWrite: {
        if (params.length < 3) return [{ servo, reply: failure(servo, DataLengthError), level: ALL_LEVEL }];
        const address = params.readUInt16LE(0);
        const data = params.subarray(2);
        const reply = packet.instruction === Instruction.Write ? servo.write(address, data) : servo.regWrite(address, data);
        return [{ servo, reply, level: ALL_LEVEL }];
      }
      case Instruction.Action:
        return [{ servo, reply: servo.action(), level: ALL_LEVEL }];
      case Instruction.Reboot: {
        const reply = { error: servo.statusError(), data: Buffer.alloc(0) };
        servo.reboot();
        return [{ servo, reply, level: ALL_LEVEL }];
      }
      case Instruction.FactoryReset: {
        if (params.length !== 1) return [{ servo, reply: failure(servo, DataLengthError), level: ALL_LEVEL }];
        return [{ servo, reply: servo.factoryReset(params[0]!), level: ALL_LEVEL }];
      }
      default:
        return [{ servo, reply: failure(servo, InstructionError), level: ALL_LEVEL }];
    }
  }

  /** Broadcast instructions: Ping, Sync and Bulk reads answer; every other one acts without replies. */
  #handleBroadcast(packet: DecodedPacket): Answer[] {
    const params = packet.params;
    const listening = this.#listening();

    switch (packet.instruction) {
      case Instruction.Ping:
        // NOTE: servos answer in ID order, each after the previous reply and its own Return
        // Delay Time; real firmware may leave longer gaps between them.
        return [...listening].sort((a, b) => a.id - b.id).map((servo) => ({ servo, reply: pingReply(servo), level: 0 }));
      case Instruction.SyncRead:
        return this.#syncRead(params);
      case Instruction.BulkRead:
        return this.#bulkRead(params);
      case Instruction.SyncWrite:
        this.#syncWrite(params);
        return [];
      case Instruction.BulkWrite:
        this.#bulkWrite(params);
        return [];
      case Instruction.Write:
      case Instruction.RegWrite:
        if (params.length >= 3) {
          for (const servo of listening) {
            if (packet.instruction === Instruction.Write) servo.write(params.readUInt16LE(0), params.subarray(2));
            else servo.regWrite(params.readUInt16LE(0), params.subarray(2));
          }
        }
        return [];
      case Instruction.Action:
        for (const servo of listening) servo.action();
        return [];
      case Instruction.Reboot:
        for (const servo of listening) servo.reboot();
        return [];
      default:
        return [];
    }
  }

  /** Sync Read: address (2), length (2), then one ID per motor; replies follow the listed order. */
  #syncRead(params: Buffer): Answer[] {
    if (params.length < 5) return [];
    const address = params.readUInt16LE(0);
    const length = params.readUInt16LE(2);
    return this.#chain([...params.subarray(4)].map((id) => ({ id, address, length })));
  }

  /** Bulk Read: per motor ID (1), address (2), length (2); replies follow the listed order. */
  #bulkRead(params: Buffer): Answer[] {
    if (params.length === 0 || params.length % 5 !== 0) return [];
    const entries: { id: number; address: number; length: number }[] = [];
    for (let offset = 0; offset < params.length; offset += 5) {
      entries.push({ id: params[offset]!, address: params.readUInt16LE(offset + 1), length: params.readUInt16LE(offset + 3) });
    }
    return this.#chain(entries);
  }

  #listening(): XSeriesServo[] {
    return this.servos.filter((servo) => servo.responding && servo.baudRate === this.baudRate);
  }

  /** Reads for a chain of replies; an absent or silent ID ends the chain, since later servos wait for its reply. */
  #chain(entries: readonly { id: number; address: number; length: number }[]): Answer[] {
    const answers: Answer[] = [];
    for (const { id, address, length } of entries) {
      const servo = this.servo(id);
      if (!servo) break;
      answers.push({ servo, reply: servo.read(address, length), level: READ_LEVEL });
    }
    return answers;
  }

  /** Sync Write: address (2), length (2), then per motor ID (1) and `length` data bytes. */
  #syncWrite(params: Buffer): void {
    if (params.length < 4) return;
    const address = params.readUInt16LE(0);
    const length = params.readUInt16LE(2);
    const stride = length + 1;
    if (length === 0 || (params.length - 4) % stride !== 0) return;
    for (let offset = 4; offset < params.length; offset += stride) {
      this.servo(params[offset]!)?.write(address, params.subarray(offset + 1, offset + stride));
    }
  }

  /** Bulk Write: per motor ID (1), address (2), length (2) and `length` data bytes. */
  #bulkWrite(params: Buffer): void {
    for (let offset = 0; offset + 5 <= params.length; ) {
      const id = params[offset]!;
      const address = params.readUInt16LE(offset + 1);
      const length = params.readUInt16LE(offset + 3);
      const data = params.subarray(offset + 5, offset + 5 + length);
      if (data.length !== length) return;
      this.servo(id)?.write(address, data);
      offset += 5 + length;
    }
  }
}

function pingReply(servo: XSeriesServo): ServoReply {
  const data = Buffer.alloc(3);
  data.writeUInt16LE(servo.modelNumber, 0);
  data[2] = servo.firmwareVersion;
  return { error: servo.statusError(), data };
}

function failure(servo: XSeriesServo, code: number): ServoReply {
  return { error: servo.statusError(code), data: Buffer.alloc(0) };
}
