import { describe, expect, it } from 'vitest';
import { decodeStatusError, describeHardwareErrorStatus } from './status-error.js';

describe('decodeStatusError', () => {
  it('reports nothing for 0', () => {
    expect(decodeStatusError(0)).toEqual({ byte: 0, hardwareAlert: false, code: 0, name: null, message: '' });
  });

  it.each([
    [1, 'ResultFail', /result fail/],
    [2, 'InstructionError', /instruction error/],
    [3, 'CrcError', /CRC error/],
    [4, 'DataRangeError', /data range error/],
    [5, 'DataLengthError', /data length error/],
    [6, 'DataLimitError', /data limit error/],
    [7, 'AccessError', /access error/],
  ])('names error number %i', (byte, name, message) => {
    const decoded = decodeStatusError(byte);
    expect(decoded.code).toBe(byte);
    expect(decoded.name).toBe(name);
    expect(decoded.hardwareAlert).toBe(false);
    expect(decoded.message).toMatch(message);
  });

  it('flags a hardware alert alone', () => {
    const decoded = decodeStatusError(0x80);
    expect(decoded.hardwareAlert).toBe(true);
    expect(decoded.code).toBe(0);
    expect(decoded.name).toBeNull();
    expect(decoded.message).toMatch(/hardware alert: read Hardware Error Status \(address 70\)/);
  });

  it('combines an alert and an error number', () => {
    const decoded = decodeStatusError(0x84);
    expect(decoded.hardwareAlert).toBe(true);
    expect(decoded.name).toBe('DataRangeError');
    expect(decoded.message).toMatch(/^data range error.*; hardware alert/);
  });

  it('names unknown numbers', () => {
    expect(decodeStatusError(0x0c).name).toBe('UnknownError');
    expect(decodeStatusError(0x0c).message).toBe('unknown error number 12');
  });
});

describe('describeHardwareErrorStatus', () => {
  it('lists the set bits', () => {
    expect(describeHardwareErrorStatus(0)).toEqual([]);
    expect(describeHardwareErrorStatus(0b100101)).toEqual(['input voltage error', 'overheating error', 'overload error']);
  });
});
