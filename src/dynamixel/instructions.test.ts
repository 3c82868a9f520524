import { describe, expect, it } from 'vitest';
import {
  actionPacket,
  bulkReadPacket,
  bulkWritePacket,
  clearMultiTurnPacket,
  factoryResetPacket,
  pingPacket,
  readPacket,
  rebootPacket,
  regWritePacket,
  syncReadPacket,
  syncWritePacket,
  writePacket,
} from './instructions.js';
import { BROADCAST_ID, Instruction, asStatus, encodeStatusPacket } from './packet.js';
import { PacketParser } from './parser.js';

// Every worked example on the ROBOTIS e-manual's Protocol 2.0 page
// (https://emanual.robotis.com/docs/en/dxl/protocol2/), byte for byte with CRC.
// The examples use XM430-W210 motors (model number 1030 = 0x0406, firmware 38 = 0x26).

function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

function decodeOne(bytes: Buffer) {
  const parser = new PacketParser();
  const packets = parser.push(bytes);
  expect(packets).toHaveLength(1);
  expect(parser.counters.crcErrors).toBe(0);
  return packets[0]!;
}

const u32 = (value: number) => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32LE(value);
  return bytes;
};

interface InstructionExample {
  name: string;
  build: () => Buffer;
  bytes: string;
  id: number;
  instruction: number;
  params: string;
}

const INSTRUCTION_EXAMPLES: InstructionExample[] = [
  { name: 'Ping, Example 1 (ID 1)', build: () => pingPacket(1), bytes: 'FF FF FD 00 01 03 00 01 19 4E', id: 1, instruction: Instruction.Ping, params: '' },
  { name: 'Ping, Example 2 (broadcast)', build: () => pingPacket(BROADCAST_ID), bytes: 'FF FF FD 00 FE 03 00 01 31 42', id: 0xfe, instruction: Instruction.Ping, params: '' },
  { name: 'Read (Present Position of ID 1)', build: () => readPacket(1, 132, 4), bytes: 'FF FF FD 00 01 07 00 02 84 00 04 00 1D 15', id: 1, instruction: Instruction.Read, params: '84 00 04 00' },
  { name: 'Write (Goal Position 512 to ID 1)', build: () => writePacket(1, 116, u32(512)), bytes: 'FF FF FD 00 01 09 00 03 74 00 00 02 00 00 CA 89', id: 1, instruction: Instruction.Write, params: '74 00 00 02 00 00' },
  { name: 'Reg Write (Goal Velocity 200 to ID 1)', build: () => regWritePacket(1, 104, u32(200)), bytes: 'FF FF FD 00 01 09 00 04 68 00 C8 00 00 00 AE 8E', id: 1, instruction: Instruction.RegWrite, params: '68 00 C8 00 00 00' },
  { name: 'Action (ID 1)', build: () => actionPacket(1), bytes: 'FF FF FD 00 01 03 00 05 02 CE', id: 1, instruction: Instruction.Action, params: '' },
  { name: 'Factory Reset (ID 1, all except ID)', build: () => factoryResetPacket(1, 0x01), bytes: 'FF FF FD 00 01 04 00 06 01 A1 E6', id: 1, instruction: Instruction.FactoryReset, params: '01' },
  { name: 'Reboot (ID 1)', build: () => rebootPacket(1), bytes: 'FF FF FD 00 01 03 00 08 2F 4E', id: 1, instruction: Instruction.Reboot, params: '' },
  { name: 'Clear (ID 1, multi-turn)', build: () => clearMultiTurnPacket(1), bytes: 'FF FF FD 00 01 08 00 10 01 44 58 4C 22 B1 DC', id: 1, instruction: Instruction.Clear, params: '01 44 58 4C 22' },
  { name: 'Sync Read (Present Position of IDs 1, 2)', build: () => syncReadPacket(132, 4, [1, 2]), bytes: 'FF FF FD 00 FE 09 00 82 84 00 04 00 01 02 CE FA', id: 0xfe, instruction: Instruction.SyncRead, params: '84 00 04 00 01 02' },
  {
    name: 'Sync Write (Goal Position 150 to ID 1, 170 to ID 2)',
    build: () => syncWritePacket(116, 4, [{ id: 1, data: u32(150) }, { id: 2, data: u32(170) }]),
    bytes: 'FF FF FD 00 FE 11 00 83 74 00 04 00 01 96 00 00 00 02 AA 00 00 00 82 87',
    id: 0xfe,
    instruction: Instruction.SyncWrite,
    params: '74 00 04 00 01 96 00 00 00 02 AA 00 00 00',
  },
  {
    name: 'Bulk Read (voltage of ID 1, temperature of ID 2)',
    build: () => bulkReadPacket([{ id: 1, address: 144, length: 2 }, { id: 2, address: 146, length: 1 }]),
    bytes: 'FF FF FD 00 FE 0D 00 92 01 90 00 02 00 02 92 00 01 00 1A 05',
    id: 0xfe,
    instruction: Instruction.BulkRead,
    params: '01 90 00 02 00 02 92 00 01 00',
  },
  {
    name: 'Bulk Write (Max Voltage Limit 160 to ID 1, Temperature Limit 80 to ID 2)',
    build: () => bulkWritePacket([{ id: 1, address: 32, data: Uint8Array.of(0xa0, 0x00) }, { id: 2, address: 31, data: Uint8Array.of(0x50) }]),
    bytes: 'FF FF FD 00 FE 10 00 93 01 20 00 02 00 A0 00 02 1F 00 01 00 50 B7 68',
    id: 0xfe,
    instruction: Instruction.BulkWrite,
    params: '01 20 00 02 00 A0 00 02 1F 00 01 00 50',
  },
];

interface StatusExample {
  name: string;
  bytes: string;
  id: number;
  data: string;
}

const EMPTY_STATUS_ID1 = 'FF FF FD 00 01 04 00 55 00 A1 0C';

const STATUS_EXAMPLES: StatusExample[] = [
  { name: 'Ping, Examples 1 and 2, ID 1 status', bytes: 'FF FF FD 00 01 07 00 55 00 06 04 26 65 5D', id: 1, data: '06 04 26' },
  { name: 'Ping, Example 2, ID 2 status', bytes: 'FF FF FD 00 02 07 00 55 00 06 04 26 6F 6D', id: 2, data: '06 04 26' },
  { name: 'Read and Sync Read, ID 1 status (position 166)', bytes: 'FF FF FD 00 01 08 00 55 00 A6 00 00 00 8C C0', id: 1, data: 'A6 00 00 00' },
  { name: 'Sync Read, ID 2 status (position 2079)', bytes: 'FF FF FD 00 02 08 00 55 00 1F 08 00 00 BA BE', id: 2, data: '1F 08 00 00' },
  { name: 'Bulk Read, ID 1 status (voltage 119)', bytes: 'FF FF FD 00 01 06 00 55 00 77 00 C3 69', id: 1, data: '77 00' },
  { name: 'Bulk Read, ID 2 status (temperature 36)', bytes: 'FF FF FD 00 02 05 00 55 00 24 8B A9', id: 2, data: '24' },
  { name: 'Write, Reg Write, Action, Factory Reset, Reboot and Clear, ID 1 status', bytes: EMPTY_STATUS_ID1, id: 1, data: '' },
];

describe('e-manual instruction packets', () => {
  it.each(INSTRUCTION_EXAMPLES)('$name encodes byte for byte', (example) => {
    expect(example.build().toString('hex')).toBe(hex(example.bytes).toString('hex'));
  });

  it.each(INSTRUCTION_EXAMPLES)('$name decodes', (example) => {
    const packet = decodeOne(hex(example.bytes));
    expect(packet.id).toBe(example.id);
    expect(packet.instruction).toBe(example.instruction);
    expect(packet.params.toString('hex')).toBe(hex(example.params).toString('hex'));
  });
});

describe('e-manual status packets', () => {
  it.each(STATUS_EXAMPLES)('$name encodes byte for byte', (example) => {
    const encoded = encodeStatusPacket(example.id, 0, hex(example.data));
    expect(encoded.toString('hex')).toBe(hex(example.bytes).toString('hex'));
  });

  it.each(STATUS_EXAMPLES)('$name decodes', (example) => {
    const status = asStatus(decodeOne(hex(example.bytes)));
    expect(status.id).toBe(example.id);
    expect(status.error).toBe(0);
    expect(status.data.toString('hex')).toBe(hex(example.data).toString('hex'));
  });

  it('Read example reports position 166', () => {
    const status = asStatus(decodeOne(hex('FF FF FD 00 01 08 00 55 00 A6 00 00 00 8C C0')));
    expect(status.data.readInt32LE(0)).toBe(166);
  });

  it('Ping example reports model 1030, firmware 38', () => {
    const status = asStatus(decodeOne(hex('FF FF FD 00 01 07 00 55 00 06 04 26 65 5D')));
    expect(status.data.readUInt16LE(0)).toBe(1030);
    expect(status.data[2]).toBe(38);
  });
});

describe('builder input checks', () => {
  it('rejects sync write data of the wrong length', () => {
    expect(() => syncWritePacket(116, 4, [{ id: 3, data: Uint8Array.of(1, 2) }])).toThrow(/data for motor 3 is 2 bytes, expected 4/);
  });

  it('rejects addresses beyond 16 bits', () => {
    expect(() => readPacket(1, 0x10000, 4)).toThrow(/invalid address or length 65536/);
  });
});
