import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../common/errors.js';
import { X_SERIES, encodeField } from '../dynamixel/control-table.js';
import { Instruction } from '../dynamixel/packet.js';
import { NoStatusPacketError, StatusPacketError } from './bus-errors.js';
import { DynamixelBus } from './servo-bus.js';
import { ServoResponder } from './test-support/servo-responder.js';
import { type VirtualPortPair, openVirtualPortPair } from './test-support/virtual-port-pair.js';
import { wireTimeUs } from './timing.js';

// The bus talks to fake motors through a socat PTY pair. The latency allowance is generous
// because PTYs on a busy test machine deliver bytes later than a USB adapter would.
const BUS_OPTIONS = { latencyMs: 40, returnDelayUs: 0, marginMs: 10 };

let ports: VirtualPortPair;
let responder: ServoResponder;
let bus: DynamixelBus;

beforeAll(async () => {
  ports = await openVirtualPortPair();
  responder = await ServoResponder.open(ports.b);
  bus = await DynamixelBus.openSerial(ports.a, 1_000_000, BUS_OPTIONS);
});

afterAll(async () => {
  await bus?.close();
  await responder?.close();
  await ports?.close();
});

beforeEach(() => {
  responder.addMotor(1, 1020, 45, 2048);
  responder.addMotor(2, 1060, 46, -4096);
  responder.addMotor(3, 1200, 47, 100);
  responder.received.length = 0;
  Object.assign(bus.counters, { transactions: 0, timeouts: 0, crcErrors: 0, retries: 0, statusErrors: 0, unexpectedPackets: 0, strayBytes: 0 });
});

describe('DynamixelBus over a virtual serial port', () => {
  it('pings a motor', async () => {
    expect(await bus.ping(2)).toEqual({ id: 2, modelNumber: 1060, firmware: 46 });
    expect(bus.counters.transactions).toBe(1);
  });

  it('returns null for a missing motor', async () => {
    expect(await bus.ping(9, 1)).toBeNull();
    expect(bus.counters.timeouts).toBe(1);
  });

  it('finds motors by broadcast ping', async () => {
    const found = await bus.broadcastPing();
    expect(found).toEqual([
      { id: 1, modelNumber: 1020, firmware: 45 },
      { id: 2, modelNumber: 1060, firmware: 46 },
      { id: 3, modelNumber: 1200, firmware: 47 },
    ]);
  });

  it('scans models and signed positions', async () => {
    const entries = await bus.scan();
    expect(entries.map(({ id, modelNumber, position }) => ({ id, modelNumber, position }))).toEqual([
      { id: 1, modelNumber: 1020, position: 2048 },
      { id: 2, modelNumber: 1060, position: -4096 },
      { id: 3, modelNumber: 1200, position: 100 },
    ]);
  });

  it('scans each ID without broadcast ping', async () => {
    responder.answerBroadcastPing = false;
    try {
      const entries = await bus.scan([0, 1, 2, 3, 4, 5]);
      expect(entries.map((entry) => entry.id)).toEqual([1, 2, 3]);
      expect(entries[1]).toEqual({ id: 2, modelNumber: 1060, firmware: 46, position: -4096 });
    } finally {
      responder.answerBroadcastPing = true;
    }
  });

  it('reads and writes a field', async () => {
    await bus.write(1, X_SERIES.goalPosition.address, encodeField(-1234, X_SERIES.goalPosition));
    const data = await bus.read(1, X_SERIES.goalPosition.address, 4);
    expect(data.readInt32LE(0)).toBe(-1234);
    expect(responder.motorTable(1).readInt32LE(X_SERIES.goalPosition.address)).toBe(-1234);
  });

  it('round trips data holding FF FF FD', async () => {
    // Goal Position 0x00FDFFFF is sent as FF FF FD 00, which both sides must stuff.
    await bus.write(3, X_SERIES.goalPosition.address, Uint8Array.of(0xff, 0xff, 0xfd, 0x00));
    const data = await bus.read(3, X_SERIES.goalPosition.address, 4);
    expect(data.toString('hex')).toBe('fffffd00');
  });

  it('retries after a dropped reply', async () => {
    responder.dropReplies(2, 1);
    const data = await bus.read(2, X_SERIES.presentPosition.address, 4);

    expect(data.readInt32LE(0)).toBe(-4096);
    expect(bus.counters.retries).toBe(1);
    expect(bus.counters.timeouts).toBe(1);
    expect(bus.counters.transactions).toBe(2);
    expect(bus.lastTransaction?.tries).toBe(2);
  });

  it('reports a missing motor after three tries', async () => {
    const failure = bus.read(4, X_SERIES.presentPosition.address, 4);
    await expect(failure).rejects.toBeInstanceOf(NoStatusPacketError);
    await expect(failure).rejects.toThrow(`no status packet from motor 4 on ${ports.a} after 3 tries: check power, wiring and baud rate`);
    expect(bus.counters.timeouts).toBe(3);
    expect(bus.counters.retries).toBe(2);
  });

  it('counts a corrupted reply as a CRC error', async () => {
    responder.corruptReplies(1, 1);
    const data = await bus.read(1, X_SERIES.presentPosition.address, 4);

    expect(data.readInt32LE(0)).toBe(2048);
    expect(bus.counters.crcErrors).toBe(1);
    expect(bus.counters.retries).toBe(1);
  });

  it('sync reads in the requested order', async () => {
    const positions = await bus.syncRead(X_SERIES.presentPosition.address, 4, [3, 1, 2]);

    expect([...positions.keys()]).toEqual([3, 1, 2]);
    expect([...positions.values()].map((data) => data.readInt32LE(0))).toEqual([100, 2048, -4096]);
    const request = responder.received.at(-1)!;
    expect(request.instruction).toBe(Instruction.SyncRead);
    expect([...request.params.subarray(4)]).toEqual([3, 1, 2]);
  });

  it('sync read asks only the missing motor again', async () => {
    responder.dropReplies(2, 1);
    const positions = await bus.syncRead(X_SERIES.presentPosition.address, 4, [1, 2, 3]);

    expect(positions.get(2)?.readInt32LE(0)).toBe(-4096);
    const syncReads = responder.received.filter((packet) => packet.instruction === Instruction.SyncRead);
    expect(syncReads.map((packet) => [...packet.params.subarray(4)])).toEqual([[1, 2, 3], [2]]);
    expect(bus.counters.retries).toBe(1);
  });

  it('sync writes several motors', async () => {
    const goals = new Map([
      [1, encodeField(1000, X_SERIES.goalPosition)],
      [2, encodeField(-2000, X_SERIES.goalPosition)],
    ]);
    await bus.syncWrite(X_SERIES.goalPosition.address, 4, goals);
    const readBack = await bus.syncRead(X_SERIES.goalPosition.address, 4, [1, 2]);

    expect(readBack.get(1)?.readInt32LE(0)).toBe(1000);
    expect(readBack.get(2)?.readInt32LE(0)).toBe(-2000);
  });

  it('bulk reads and writes different fields', async () => {
    await bus.bulkWrite([
      { id: 1, address: X_SERIES.torqueEnable.address, data: Uint8Array.of(1) },
      { id: 3, address: X_SERIES.goalPosition.address, data: encodeField(77, X_SERIES.goalPosition) },
    ]);
    const values = await bus.bulkRead([
      { id: 3, address: X_SERIES.goalPosition.address, length: 4 },
      { id: 1, address: X_SERIES.torqueEnable.address, length: 1 },
    ]);

    expect([...values.keys()]).toEqual([3, 1]);
    expect(values.get(3)?.readInt32LE(0)).toBe(77);
    expect(values.get(1)?.[0]).toBe(1);
  });

  it('throws the decoded status error', async () => {
    responder.setErrorByte(1, 0x84);
    const failure = bus.read(1, X_SERIES.presentPosition.address, 4);
    await expect(failure).rejects.toBeInstanceOf(StatusPacketError);
    const error = (await failure.catch((caught: unknown) => caught)) as StatusPacketError;

    expect(error.motorId).toBe(1);
    expect(error.status.hardwareAlert).toBe(true);
    expect(error.status.name).toBe('DataRangeError');
    expect(error.message).toMatch(new RegExp(`^motor 1 on ${ports.a} reported data range error`));
    expect(bus.counters.statusErrors).toBe(1);
    responder.setErrorByte(1, 0);
  });

  it('resends after a motor CRC error', async () => {
    responder.setErrorByte(2, 0x03);
    const failure = bus.read(2, X_SERIES.presentPosition.address, 4);
    await expect(failure).rejects.toThrow(/^motor 2 on .* reported CRC error/);
    expect(bus.counters.statusErrors).toBe(3);
    expect(bus.counters.retries).toBe(2);
    responder.setErrorByte(2, 0);
  });

  it('reboots a motor', async () => {
    await bus.reboot(3);
    expect(responder.received.at(-1)?.instruction).toBe(Instruction.Reboot);
  });

  it('runs concurrent calls one at a time', async () => {
    const reads = await Promise.all([1, 2, 3, 1, 2, 3].map((id) => bus.read(id, X_SERIES.presentPosition.address, 4)));
    expect(reads.map((data) => data.readInt32LE(0))).toEqual([2048, -4096, 100, 2048, -4096, 100]);
    expect(bus.counters.retries).toBe(0);
  });

  it('records bus time per transaction', async () => {
    await bus.syncRead(X_SERIES.presentPosition.address, 4, [1, 2, 3]);
    // Sync read of 3 motors: 17 bytes sent (10 fixed, 4 address and length, 3 IDs) and 3 status packets of 15 bytes.
    expect(bus.lastTransaction?.busTimeUs).toBe(wireTimeUs(17 + 3 * 15, 1_000_000));
    expect(bus.lastTransaction?.motorIds).toEqual([1, 2, 3]);
  });
});

describe('opening a port', () => {
  it('names a missing port', async () => {
    const failure = DynamixelBus.openSerial('/dev/ttyUSB9-missing', 1_000_000);
    await expect(failure).rejects.toBeInstanceOf(UserError);
    await expect(failure).rejects.toThrow('serial port /dev/ttyUSB9-missing not found: run `rdvla bus ports` to list ports');
  });
});
