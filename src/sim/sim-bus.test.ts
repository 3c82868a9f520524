import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { monotonicNs } from '../common/clock.js';
import { encodeValue } from '../dynamixel/control-table.js';
import {
  actionPacket,
  bulkReadPacket,
  bulkWritePacket,
  factoryResetPacket,
  pingPacket,
  readPacket,
  rebootPacket,
  regWritePacket,
  syncReadPacket,
  syncWritePacket,
  writePacket,
} from '../dynamixel/instructions.js';
import { BROADCAST_ID, type DecodedPacket, Instruction, encodeInstructionPacket, encodeStatusPacket } from '../dynamixel/packet.js';
import { PacketParser } from '../dynamixel/parser.js';
import { StatusErrorCode } from '../dynamixel/status-error.js';
import { attachSimBus } from './sim-bus-port.js';
import { SimBus } from './sim-bus.js';
import { wireTimeNs } from './wire-time.js';
import { XSeriesServo } from './xseries-servo.js';

const BAUD = 1_000_000;
const T0 = 5_000_000_000n;

function decode(bytes: Buffer): DecodedPacket {
  const packets = new PacketParser().push(bytes);
  expect(packets).toHaveLength(1);
  return packets[0]!;
}

function makeBus(options: { ids?: number[]; returnDelayUs?: number } = {}) {
  const now = () => T0;
  const servos = (options.ids ?? [1, 2, 3]).map(
    (id) => new XSeriesServo({ model: 'xm430-w350', id, baudRate: BAUD, returnDelayUs: options.returnDelayUs ?? 0, initialPosition: 1000 + id, now }),
  );
  return { bus: new SimBus({ baudRate: BAUD, servos }), servos };
}

function send(bus: SimBus, instruction: Buffer): Buffer[] {
  return bus.handle(decode(instruction), T0).map((reply) => reply.bytes);
}

const position = (value: number) => encodeValue(value, 4);
const PING_DATA = Buffer.of(0xfc, 0x03, 46);

describe('SimBus replies', () => {
  it('ping', () => {
    const { bus } = makeBus();
    expect(send(bus, pingPacket(2))).toEqual([encodeStatusPacket(2, 0, PING_DATA)]);
    expect(send(bus, pingPacket(9))).toEqual([]);
  });

  it('broadcast ping in id order', () => {
    const { bus } = makeBus({ ids: [3, 1, 2] });
    expect(send(bus, pingPacket(BROADCAST_ID))).toEqual([1, 2, 3].map((id) => encodeStatusPacket(id, 0, PING_DATA)));
  });

  it('read present position', () => {
    const { bus } = makeBus();
    expect(send(bus, readPacket(3, 132, 4))).toEqual([encodeStatusPacket(3, 0, position(1003))]);
  });

  it('read with a bad length field', () => {
    const { bus } = makeBus();
    const shortRead = encodeInstructionPacket(1, Instruction.Read, Uint8Array.of(132, 0));
    expect(send(bus, shortRead)).toEqual([encodeStatusPacket(1, StatusErrorCode.DataLengthError)]);
  });

  it('write and its status', () => {
    const { bus, servos } = makeBus();
    expect(send(bus, writePacket(1, 65, Uint8Array.of(1)))).toEqual([encodeStatusPacket(1, 0)]);
    expect(servos[0]!.valueOf('led')).toBe(1);
  });

  it('EEPROM write with torque on returns access error', () => {
    const { bus } = makeBus();
    send(bus, writePacket(1, 64, Uint8Array.of(1)));
    expect(send(bus, writePacket(1, 11, Uint8Array.of(4)))).toEqual([encodeStatusPacket(1, StatusErrorCode.AccessError)]);
  });

  it('sync read in listed order', () => {
    const { bus } = makeBus();
    expect(send(bus, syncReadPacket(132, 4, [3, 1, 2]))).toEqual([
      encodeStatusPacket(3, 0, position(1003)),
      encodeStatusPacket(1, 0, position(1001)),
      encodeStatusPacket(2, 0, position(1002)),
    ]);
  });

  it('sync read stops at a silent motor', () => {
    const { bus, servos } = makeBus();
    servos[1]!.setResponding(false);
    expect(send(bus, syncReadPacket(132, 4, [1, 2, 3]))).toEqual([encodeStatusPacket(1, 0, position(1001))]);
    expect(send(bus, pingPacket(2))).toEqual([]);
  });

  it('sync write applies without replies', () => {
    const { bus, servos } = makeBus();
    const entries = [1, 2, 3].map((id) => ({ id, data: position(2000 + id) }));
    expect(send(bus, syncWritePacket(116, 4, entries))).toEqual([]);
    expect(servos.map((servo) => servo.valueOf('goalPosition'))).toEqual([2001, 2002, 2003]);
  });

  it('bulk read and bulk write', () => {
    const { bus, servos } = makeBus();
    const written = bulkWritePacket([
      { id: 1, address: 65, data: Uint8Array.of(1) },
      { id: 2, address: 112, data: position(77) },
    ]);
    expect(send(bus, written)).toEqual([]);
    expect(servos[0]!.valueOf('led')).toBe(1);
    expect(servos[1]!.valueOf('profileVelocity')).toBe(77);

    const read = bulkReadPacket([
      { id: 2, address: 112, length: 4 },
      { id: 1, address: 0, length: 2 },
    ]);
    expect(send(bus, read)).toEqual([encodeStatusPacket(2, 0, position(77)), encodeStatusPacket(1, 0, Buffer.of(0xfc, 0x03))]);
  });

  it('reg write and action', () => {
    const { bus, servos } = makeBus();
    expect(send(bus, regWritePacket(2, 65, Uint8Array.of(1)))).toEqual([encodeStatusPacket(2, 0)]);
    expect(servos[1]!.valueOf('led')).toBe(0);
    expect(send(bus, actionPacket())).toEqual([]);
    expect(servos[1]!.valueOf('led')).toBe(1);
  });

  it('reboot clears a hardware error', () => {
    const { bus, servos } = makeBus();
    servos[0]!.injectHardwareError(0b100);
    expect(send(bus, readPacket(1, 70, 1))).toEqual([encodeStatusPacket(1, 0x80, Buffer.of(4))]);
    expect(send(bus, rebootPacket(1))).toEqual([encodeStatusPacket(1, 0x80)]);
    expect(send(bus, readPacket(1, 70, 1))).toEqual([encodeStatusPacket(1, 0, Buffer.of(0))]);
  });

  it('factory reset', () => {
    const { bus, servos } = makeBus();
    expect(send(bus, factoryResetPacket(3, 0x02))).toEqual([encodeStatusPacket(3, 0)]);
    expect(servos[2]!.returnDelayUs).toBe(500);
  });

  it('broadcast read and write get no reply', () => {
    const { bus, servos } = makeBus();
    expect(send(bus, readPacket(BROADCAST_ID, 132, 4))).toEqual([]);
    expect(send(bus, writePacket(BROADCAST_ID, 65, Uint8Array.of(1)))).toEqual([]);
    expect(servos.map((servo) => servo.valueOf('led'))).toEqual([1, 1, 1]);
  });

  it('unknown instruction is an instruction error', () => {
    const { bus } = makeBus();
    expect(send(bus, encodeInstructionPacket(1, 0x42))).toEqual([encodeStatusPacket(1, StatusErrorCode.InstructionError)]);
  });

  it('status return level 1 answers reads only', () => {
    const { bus } = makeBus();
    send(bus, writePacket(1, 68, Uint8Array.of(1)));
    expect(send(bus, writePacket(1, 65, Uint8Array.of(1)))).toEqual([]);
    expect(send(bus, readPacket(1, 65, 1))).toEqual([encodeStatusPacket(1, 0, Buffer.of(1))]);
  });
});

describe('SimBus wire time', () => {
  it('sync read replies wait for wire time and return delay', () => {
    const { bus } = makeBus({ returnDelayUs: 100 });
    const instruction = syncReadPacket(132, 4, [1, 2, 3]);
    const replies = bus.handle(decode(instruction), T0);

    let earliest = T0 + wireTimeNs(instruction.length, BAUD);
    for (const reply of replies) {
      earliest += 100_000n + wireTimeNs(reply.bytes.length, BAUD);
      expect(reply.atNs).toBeGreaterThanOrEqual(earliest);
    }
  });

  it('replies wait for an earlier reply to finish', () => {
    const { bus } = makeBus({ returnDelayUs: 500 });
    const first = bus.handle(decode(pingPacket(1)), T0);
    const second = bus.handle(decode(pingPacket(2)), T0);
    expect(second[0]!.atNs).toBeGreaterThan(first[0]!.atNs);
  });
});

class FakeStream extends EventEmitter {
  readonly written: { bytes: Buffer; atNs: bigint }[] = [];
  write(bytes: Buffer): void {
    this.written.push({ bytes, atNs: monotonicNs() });
    this.emit('written');
  }
}

describe('attachSimBus', () => {
  it('drops a packet with a bad CRC', async () => {
    const servos = [new XSeriesServo({ model: 'xm430-w350', id: 1, baudRate: BAUD, returnDelayUs: 0 })];
    const stream = new FakeStream();
    const attached = attachSimBus('test', new SimBus({ baudRate: BAUD, servos }), stream);

    const corrupt = pingPacket(1);
    corrupt[corrupt.length - 1]! ^= 0xff;
    stream.emit('data', corrupt);
    stream.emit('data', pingPacket(1));
    await new Promise((resolve) => stream.once('written', resolve));
    attached.detach();

    expect(attached.crcErrors).toBe(1);
    expect(stream.written.map((entry) => entry.bytes)).toEqual([encodeStatusPacket(1, 0, PING_DATA)]);
  });

  it('writes a reply no earlier than its wire time', async () => {
    const baudRate = 57_600;
    const servos = [new XSeriesServo({ model: 'xm430-w350', id: 1, baudRate, returnDelayUs: 500 })];
    const stream = new FakeStream();
    const attached = attachSimBus('test', new SimBus({ baudRate, servos }), stream);

    const instruction = readPacket(1, 132, 4);
    const sentAt = monotonicNs();
    stream.emit('data', instruction);
    await new Promise((resolve) => stream.once('written', resolve));
    attached.detach();

    const reply = stream.written[0]!;
    const minimum = wireTimeNs(instruction.length, baudRate) + 500_000n + wireTimeNs(reply.bytes.length, baudRate);
    expect(reply.atNs - sentAt).toBeGreaterThanOrEqual(minimum);
  });
});
