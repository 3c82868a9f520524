import { crc16 } from './crc.js';

/** Instruction codes of Dynamixel Protocol 2.0 (0x55 marks a status packet). */
export const Instruction = {
  Ping: 0x01,
  Read: 0x02,
  Write: 0x03,
  RegWrite: 0x04,
  Action: 0x05,
  FactoryReset: 0x06,
  Reboot: 0x08,
  Clear: 0x10,
  Status: 0x55,
  SyncRead: 0x82,
  SyncWrite: 0x83,
  BulkRead: 0x92,
  BulkWrite: 0x93,
} as const;

export type InstructionCode = (typeof Instruction)[keyof typeof Instruction];

export const BROADCAST_ID = 0xfe;

/** FF FF FD 00: the three header bytes and the reserved byte that start every packet. */
export const HEADER = Uint8Array.of(0xff, 0xff, 0xfd, 0x00);

/** Bytes around the stuffed body: header (4), ID (1), LEN (2) before it and CRC (2) after it. */
export const PACKET_OVERHEAD = 9;

/** Largest LEN a packet may carry; LEN is 16 bits and counts INST, params and CRC. */
export const MAX_LENGTH_FIELD = 0xffff;

export interface DecodedPacket {
  id: number;
  instruction: number;
  /** Parameters with byte stuffing removed; for a status packet the error byte comes first. */
  params: Buffer;
}

export interface StatusPacket {
  id: number;
  error: number;
  data: Buffer;
}

/** Inserts an FD after every FF FF FD so the sequence cannot be mistaken for a header. */
export function stuff(bytes: Uint8Array): Buffer {
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    out.push(bytes[i]!);
    if (i >= 2 && bytes[i] === 0xfd && bytes[i - 1] === 0xff && bytes[i - 2] === 0xff) out.push(0xfd);
  }
  return Buffer.from(out);
}

/** Removes the FD that the sender added after every FF FF FD. */
export function unstuff(bytes: Uint8Array): Buffer {
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const value = bytes[i]!;
    const isStuffing =
      value === 0xfd && i >= 3 && bytes[i - 1] === 0xfd && bytes[i - 2] === 0xff && bytes[i - 3] === 0xff;
    if (!isStuffing) out.push(value);
  }
  return Buffer.from(out);
}

function checkId(id: number): void {
  if (!Number.isInteger(id) || id < 0 || (id > 0xfc && id !== BROADCAST_ID)) {
    throw new RangeError(`invalid Dynamixel ID ${id}: must be 0..252, or 254 for broadcast`);
  }
}

/** Builds a complete packet from its ID and its unstuffed body (INST followed by params). */
function encodePacket(id: number, body: Uint8Array): Buffer {
  checkId(id);
  const stuffed = stuff(body);
  const lengthField = stuffed.length + 2;
  if (lengthField > MAX_LENGTH_FIELD) {
    throw new RangeError(`packet too long: LEN would be ${lengthField}, max ${MAX_LENGTH_FIELD}`);
  }

  const packet = Buffer.alloc(stuffed.length + PACKET_OVERHEAD);
  packet.set(HEADER, 0);
  packet[4] = id;
  packet.writeUInt16LE(lengthField, 5);
  packet.set(stuffed, 7);
  packet.writeUInt16LE(crc16(packet, 0, packet.length - 2), packet.length - 2);
  return packet;
}

export function encodeInstructionPacket(id: number, instruction: number, params: Uint8Array = new Uint8Array()): Buffer {
  const body = new Uint8Array(params.length + 1);
  body[0] = instruction;
  body.set(params, 1);
  return encodePacket(id, body);
}

export function encodeStatusPacket(id: number, error: number, params: Uint8Array = new Uint8Array()): Buffer {
  const body = new Uint8Array(params.length + 2);
  body[0] = Instruction.Status;
  body[1] = error & 0xff;
  body.set(params, 2);
  return encodePacket(id, body);
}

export function isStatus(packet: DecodedPacket): boolean {
  return packet.instruction === Instruction.Status;
}

/** Splits a status packet into its error byte and data; throws if the packet is not a status packet. */
export function asStatus(packet: DecodedPacket): StatusPacket {
  if (!isStatus(packet) || packet.params.length < 1) {
    throw new Error(
      `packet from ID ${packet.id} is not a status packet (instruction 0x${packet.instruction.toString(16)})`,
    );
  }
  return { id: packet.id, error: packet.params[0]!, data: packet.params.subarray(1) };
}
