/**
 * The error byte of a Protocol 2.0 status packet. Bit 7 is the hardware alert: the motor has
 * set a bit in Hardware Error Status (address 70) and usually turned its torque off. The low
 * 7 bits hold one error number (not a bit field).
 */
export const HARDWARE_ALERT_BIT = 0x80;

export const StatusErrorCode = {
  ResultFail: 1,
  InstructionError: 2,
  CrcError: 3,
  DataRangeError: 4,
  DataLengthError: 5,
  DataLimitError: 6,
  AccessError: 7,
} as const;

export type StatusErrorName = keyof typeof StatusErrorCode;

const MESSAGES: Record<number, { name: StatusErrorName; message: string }> = {
  1: { name: 'ResultFail', message: 'result fail: the motor could not process the instruction' },
  2: { name: 'InstructionError', message: 'instruction error: undefined instruction, or Action without a Reg Write' },
  3: { name: 'CrcError', message: 'CRC error: the packet CRC did not match' },
  4: { name: 'DataRangeError', message: 'data range error: the data is out of the field\'s range' },
  5: { name: 'DataLengthError', message: 'data length error: the data is shorter than the field' },
  6: { name: 'DataLimitError', message: 'data limit error: the data exceeds the limit set in the control table' },
  7: {
    name: 'AccessError',
    message: 'access error: the field is read-only, undefined, or EEPROM written while torque is on',
  },
};

export interface DecodedStatusError {
  /** The raw error byte. */
  byte: number;
  hardwareAlert: boolean;
  /** Error number from the low 7 bits; 0 when there is none. */
  code: number;
  name: StatusErrorName | 'UnknownError' | null;
  /** Readable description of everything the byte reports; empty when the byte is 0. */
  message: string;
}

export function decodeStatusError(byte: number): DecodedStatusError {
  const hardwareAlert = (byte & HARDWARE_ALERT_BIT) !== 0;
  const code = byte & 0x7f;
  const known = MESSAGES[code];
  const name = code === 0 ? null : (known?.name ?? 'UnknownError');

  const parts: string[] = [];
  if (code !== 0) parts.push(known?.message ?? `unknown error number ${code}`);
  if (hardwareAlert) parts.push('hardware alert: read Hardware Error Status (address 70) and reboot the motor');
  return { byte, hardwareAlert, code, name, message: parts.join('; ') };
}

/** Bits of Hardware Error Status (address 70) on X-series motors. */
const HARDWARE_ERROR_BITS: readonly [number, string][] = [
  [0, 'input voltage error'],
  [2, 'overheating error'],
  [3, 'motor encoder error'],
  [4, 'electrical shock error'],
  [5, 'overload error'],
];

/** Names the bits set in an X-series Hardware Error Status value. */
export function describeHardwareErrorStatus(value: number): string[] {
  return HARDWARE_ERROR_BITS.filter(([bit]) => (value & (1 << bit)) !== 0).map(([, name]) => name);
}
