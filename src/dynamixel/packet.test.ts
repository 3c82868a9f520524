import { describe, expect, it } from 'vitest';
import { encodeValue } from './control-table.js';
import { crc16 } from './crc.js';
import { writePacket } from './instructions.js';
import { Instruction, asStatus, encodeInstructionPacket, encodeStatusPacket, stuff, unstuff } from './packet.js';
import { PacketParser } from './parser.js';

function decodeAll(bytes: Uint8Array) {
  const parser = new PacketParser();
  const packets = parser.push(bytes);
  return { packets, counters: parser.counters };
}

describe('crc16', () => {
  it('matches the e-manual ping example', () => {
    // Ping to ID 1 from the e-manual's Protocol 2.0 page ends in CRC 0x4E19 (sent 19 4E).
    expect(crc16(Uint8Array.of(0xff, 0xff, 0xfd, 0x00, 0x01, 0x03, 0x00, 0x01))).toBe(0x4e19);
  });

  it('is zero for no bytes', () => {
    expect(crc16(new Uint8Array())).toBe(0);
  });

  it('matches the CRC-16/BUYPASS check value', () => {
    // The catalogue check value of CRC-16/BUYPASS (poly 0x8005, init 0, unreflected) over "123456789".
    expect(crc16(Buffer.from('123456789', 'ascii'))).toBe(0xfee8);
  });
});

describe('stuff and unstuff', () => {
  const cases: [string, string][] = [
    ['no header pattern', '01 02 03'],
    ['one pattern', 'FF FF FD'],
    ['pattern followed by FD', 'FF FF FD FD'],
    ['two patterns', 'FF FF FD 00 FF FF FD'],
    ['FF FF FF FD', 'FF FF FF FD'],
    ['pattern at the end', '10 20 FF FF FD'],
  ];

  it.each(cases)('round trips %s', (_name, text) => {
    const bytes = Buffer.from(text.replace(/ /g, ''), 'hex');
    expect(unstuff(stuff(bytes)).toString('hex')).toBe(bytes.toString('hex'));
  });

  it('adds FD after each FF FF FD', () => {
    expect(stuff(Uint8Array.of(0xff, 0xff, 0xfd, 0x00)).toString('hex')).toBe('fffffdfd00');
    expect(stuff(Uint8Array.of(0xff, 0xff, 0xfd, 0xfd)).toString('hex')).toBe('fffffdfdfd');
  });
});

describe('stuffed packets', () => {
  it('stuffs write params holding FF FF FD', () => {
    // Goal Position 0x00FDFFFF: the data bytes are FF FF FD 00.
    const packet = writePacket(1, 116, Uint8Array.of(0xff, 0xff, 0xfd, 0x00));
    const expectedBody = '03 74 00 FF FF FD FD 00'.replace(/ /g, '').toLowerCase();

    expect(packet.subarray(7, packet.length - 2).toString('hex')).toBe(expectedBody);
    expect(packet.readUInt16LE(5)).toBe(8 + 2);
    expect(packet.readUInt16LE(packet.length - 2)).toBe(crc16(packet, 0, packet.length - 2));

    const { packets } = decodeAll(packet);
    expect(packets).toHaveLength(1);
    expect(packets[0]!.params.toString('hex')).toBe('7400fffffd00');
  });

  it('stuffs a pattern spanning address and data', () => {
    // Address 0xFFFF followed by a data byte FD forms FF FF FD across the two fields.
    const packet = writePacket(3, 0xffff, Uint8Array.of(0xfd));
    expect(packet.subarray(7, packet.length - 2).toString('hex')).toBe('03fffffdfd');

    const { packets } = decodeAll(packet);
    expect(packets[0]!.params.toString('hex')).toBe('fffffd');
  });

  it('round trips read data holding FF FF FD', () => {
    // Present Position -131073 is FF FF FD FF in little-endian two's complement.
    const data = encodeValue(-131073, 4);
    expect(data.toString('hex')).toBe('fffffdff');

    const packet = encodeStatusPacket(7, 0, data);
    expect(packet.subarray(7, packet.length - 2).toString('hex')).toBe('5500fffffdfdff');

    const status = asStatus(decodeAll(packet).packets[0]!);
    expect(status.id).toBe(7);
    expect(status.error).toBe(0);
    expect(status.data.readInt32LE(0)).toBe(-131073);
  });

  it('round trips negative positions', () => {
    for (const position of [-1, -4096, -1_044_479, -2_147_483_648]) {
      const status = asStatus(decodeAll(encodeStatusPacket(2, 0, encodeValue(position, 4))).packets[0]!);
      expect(status.data.readInt32LE(0)).toBe(position);
    }
  });

  it('round trips long params with many patterns', () => {
    const params = Buffer.alloc(300);
    for (let i = 0; i < params.length; i++) params[i] = [0xff, 0xff, 0xfd][i % 3]!;
    const { packets } = decodeAll(encodeInstructionPacket(9, Instruction.SyncWrite, params));
    expect(packets[0]!.params.equals(params)).toBe(true);
  });
});

describe('encodeInstructionPacket', () => {
  it('rejects reserved IDs', () => {
    expect(() => encodeInstructionPacket(253, Instruction.Ping)).toThrow(/invalid Dynamixel ID 253/);
    expect(() => encodeInstructionPacket(255, Instruction.Ping)).toThrow(/invalid Dynamixel ID 255/);
  });
});

describe('asStatus', () => {
  it('rejects instruction packets', () => {
    expect(() => asStatus({ id: 1, instruction: Instruction.Ping, params: Buffer.alloc(0) })).toThrow(/not a status packet/);
  });

  it('returns the error byte', () => {
    const status = asStatus(decodeAll(encodeStatusPacket(4, 0x87, Uint8Array.of(1))).packets[0]!);
    expect(status.error).toBe(0x87);
    expect(status.data.toString('hex')).toBe('01');
  });
});
