/**
 * X-series control table (Protocol 2.0), from the ROBOTIS e-manual pages of XM430-W350,
 * XL430-W250, XM540-W270 and XL330-M288. Fields below address 64 are EEPROM and can be
 * written only while Torque Enable is 0. On the XL430-W250, address 126 is Present Load
 * (0.1 % units) rather than Present Current, and Goal Current (102) does not exist.
 */
export interface ControlTableField {
  address: number;
  size: 1 | 2 | 4;
  /** Whether the raw value is two's complement. */
  signed: boolean;
}

function field(address: number, size: 1 | 2 | 4, signed = false): ControlTableField {
  return { address, size, signed };
}

export const X_SERIES = {
  modelNumber: field(0, 2),
  firmwareVersion: field(6, 1),
  id: field(7, 1),
  baudRate: field(8, 1),
  /** Units of 2 us; factory value 250 (500 us). */
  returnDelayTime: field(9, 1),
  driveMode: field(10, 1),
  operatingMode: field(11, 1),
  secondaryId: field(12, 1),
  homingOffset: field(20, 4, true),
  velocityLimit: field(44, 4),
  maxPositionLimit: field(48, 4),
  minPositionLimit: field(52, 4),
  torqueEnable: field(64, 1),
  led: field(65, 1),
  statusReturnLevel: field(68, 1),
  hardwareErrorStatus: field(70, 1),
  positionDGain: field(80, 2),
  positionIGain: field(82, 2),
  positionPGain: field(84, 2),
  goalPwm: field(100, 2, true),
  goalCurrent: field(102, 2, true),
  goalVelocity: field(104, 4, true),
  profileAcceleration: field(108, 4),
  profileVelocity: field(112, 4),
  goalPosition: field(116, 4, true),
  moving: field(122, 1),
  presentPwm: field(124, 2, true),
  presentCurrent: field(126, 2, true),
  presentVelocity: field(128, 4, true),
  presentPosition: field(132, 4, true),
  presentInputVoltage: field(144, 2),
  presentTemperature: field(146, 1),
} as const satisfies Record<string, ControlTableField>;

export type XSeriesFieldName = keyof typeof X_SERIES;

/** Values of Operating Mode (address 11). */
export const OperatingMode = {
  Current: 0,
  Velocity: 1,
  Position: 3,
  ExtendedPosition: 4,
  CurrentBasedPosition: 5,
  Pwm: 16,
} as const;

/** Model Number (address 0) of the supported models, keyed by lower-case model name. */
export const MODEL_NUMBERS = {
  'xm430-w350': 1020,
  'xl430-w250': 1060,
  'xm540-w270': 1120,
  'xl330-m288': 1200,
} as const;

export type ModelName = keyof typeof MODEL_NUMBERS;

export function modelNameOf(modelNumber: number): ModelName | undefined {
  for (const [name, number] of Object.entries(MODEL_NUMBERS)) {
    if (number === modelNumber) return name as ModelName;
  }
  return undefined;
}

/** Baud Rate (address 8) values of X-series motors and the bit rates they select. */
export const BAUD_RATE_VALUES: Readonly<Record<number, number>> = {
  0: 9_600,
  1: 57_600,
  2: 115_200,
  3: 1_000_000,
  4: 2_000_000,
  5: 3_000_000,
  6: 4_000_000,
  7: 4_500_000,
};

/** Encoder steps per turn of X-series motors. */
export const STEPS_PER_TURN = 4096;

/** Reads a little-endian value of `size` bytes at `offset`; `signed` reads two's complement. */
export function readValue(bytes: Uint8Array, size: 1 | 2 | 4, signed: boolean, offset = 0): number {
  if (offset + size > bytes.length) {
    throw new RangeError(`cannot read ${size} bytes at offset ${offset} from ${bytes.length} bytes`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, size);
  if (size === 1) return signed ? view.getInt8(0) : view.getUint8(0);
  if (size === 2) return signed ? view.getInt16(0, true) : view.getUint16(0, true);
  return signed ? view.getInt32(0, true) : view.getUint32(0, true);
}

/** Encodes `value` as `size` little-endian bytes; negative values become two's complement. */
export function encodeValue(value: number, size: 1 | 2 | 4): Buffer {
  const min = -(2 ** (size * 8 - 1));
  const max = 2 ** (size * 8) - 1;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`value ${value} does not fit in ${size} bytes`);
  }
  const bytes = Buffer.alloc(size);
  if (size === 1) bytes.writeUInt8(value & 0xff);
  else if (size === 2) bytes.writeUInt16LE(value & 0xffff);
  else bytes.writeUInt32LE(value >>> 0);
  return bytes;
}

export function readField(bytes: Uint8Array, fieldSpec: ControlTableField, offset = 0): number {
  return readValue(bytes, fieldSpec.size, fieldSpec.signed, offset);
}

export function encodeField(value: number, fieldSpec: ControlTableField): Buffer {
  return encodeValue(value, fieldSpec.size);
}

export const readInt32LE = (bytes: Uint8Array, offset = 0): number => readValue(bytes, 4, true, offset);
export const readUint32LE = (bytes: Uint8Array, offset = 0): number => readValue(bytes, 4, false, offset);
export const readUint16LE = (bytes: Uint8Array, offset = 0): number => readValue(bytes, 2, false, offset);
export const readInt16LE = (bytes: Uint8Array, offset = 0): number => readValue(bytes, 2, true, offset);
