import { BROADCAST_ID, Instruction, encodeInstructionPacket } from './packet.js';

/** Builders for the instruction packets the bus sends. Addresses and lengths are 2 bytes, little-endian. */

function u16(value: number): [number, number] {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) {
    throw new RangeError(`invalid address or length ${value}: must be 0..65535`);
  }
  return [value & 0xff, value >> 8];
}

function checkData(data: Uint8Array, length: number, id: number): void {
  if (data.length !== length) {
    throw new RangeError(`data for motor ${id} is ${data.length} bytes, expected ${length}`);
  }
}

export function pingPacket(id: number): Buffer {
  return encodeInstructionPacket(id, Instruction.Ping);
}

export function readPacket(id: number, address: number, length: number): Buffer {
  return encodeInstructionPacket(id, Instruction.Read, Uint8Array.from([...u16(address), ...u16(length)]));
}

export function writePacket(id: number, address: number, data: Uint8Array): Buffer {
  return encodeInstructionPacket(id, Instruction.Write, Uint8Array.from([...u16(address), ...data]));
}

export function regWritePacket(id: number, address: number, data: Uint8Array): Buffer {
  return encodeInstructionPacket(id, Instruction.RegWrite, Uint8Array.from([...u16(address), ...data]));
}

export function actionPacket(id: number = BROADCAST_ID): Buffer {
  return encodeInstructionPacket(id, Instruction.Action);
}

export function rebootPacket(id: number): Buffer {
  return encodeInstructionPacket(id, Instruction.Reboot);
}

/** Factory Reset; `mode` 0xFF resets everything, 0x01 keeps the ID, 0x02 keeps ID and baud rate. */
export function factoryResetPacket(id: number, mode: 0xff | 0x01 | 0x02): Buffer {
  return encodeInstructionPacket(id, Instruction.FactoryReset, Uint8Array.of(mode));
}

/** Sync Read: the same field from several motors, which reply one after another in the listed order. */
export function syncReadPacket(address: number, length: number, ids: readonly number[]): Buffer {
  return encodeInstructionPacket(BROADCAST_ID, Instruction.SyncRead, Uint8Array.from([...u16(address), ...u16(length), ...ids]));
}

export function syncWritePacket(address: number, length: number, entries: readonly { id: number; data: Uint8Array }[]): Buffer {
  const params: number[] = [...u16(address), ...u16(length)];
  for (const { id, data } of entries) {
    checkData(data, length, id);
    params.push(id, ...data);
  }
  return encodeInstructionPacket(BROADCAST_ID, Instruction.SyncWrite, Uint8Array.from(params));
}

/** Bulk Read: a different field per motor; replies come in the listed order. */
export function bulkReadPacket(entries: readonly { id: number; address: number; length: number }[]): Buffer {
  const params: number[] = [];
  for (const { id, address, length } of entries) params.push(id, ...u16(address), ...u16(length));
  return encodeInstructionPacket(BROADCAST_ID, Instruction.BulkRead, Uint8Array.from(params));
}

export function bulkWritePacket(entries: readonly { id: number; address: number; data: Uint8Array }[]): Buffer {
  const params: number[] = [];
  for (const { id, address, data } of entries) params.push(id, ...u16(address), ...u16(data.length), ...data);
  return encodeInstructionPacket(BROADCAST_ID, Instruction.BulkWrite, Uint8Array.from(params));
}

/** Clear with option 0x01: resets the multi-turn revolution count (X-series firmware 42 and later). */
export function clearMultiTurnPacket(id: number): Buffer {
  return encodeInstructionPacket(id, Instruction.Clear, Uint8Array.of(0x01, 0x44, 0x58, 0x4c, 0x22));
}
