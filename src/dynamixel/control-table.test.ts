import { describe, expect, it } from 'vitest';
import { MODEL_NUMBERS, X_SERIES, encodeField, encodeValue, modelNameOf, readField, readInt32LE, readValue } from './control-table.js';

describe('control table values', () => {
  it('encodes negative positions as two\'s complement', () => {
    expect(encodeValue(-1, 4).toString('hex')).toBe('ffffffff');
    expect(encodeValue(-4096, 4).toString('hex')).toBe('00f0ffff');
    expect(readInt32LE(Buffer.from('00f0ffff', 'hex'))).toBe(-4096);
  });

  it('round trips every size', () => {
    const cases: [number, 1 | 2 | 4, boolean][] = [
      [200, 1, false],
      [-100, 1, true],
      [1020, 2, false],
      [-1193, 2, true],
      [4095, 4, false],
      [3_000_000_000, 4, false],
      [-1_044_479, 4, true],
    ];
    for (const [value, size, signed] of cases) {
      expect(readValue(encodeValue(value, size), size, signed)).toBe(value);
    }
  });

  it('reads at an offset', () => {
    const bytes = Buffer.from('00aa84000000', 'hex');
    expect(readField(bytes, X_SERIES.presentPosition, 2)).toBe(132);
  });

  it('rejects values that do not fit', () => {
    expect(() => encodeValue(256, 1)).toThrow(/does not fit in 1 bytes/);
    expect(() => encodeValue(-32769, 2)).toThrow(/does not fit/);
    expect(() => encodeValue(1.5, 4)).toThrow(/does not fit/);
    expect(() => readValue(Buffer.alloc(3), 4, true)).toThrow(/cannot read 4 bytes/);
  });

  it('encodes a field by its size', () => {
    expect(encodeField(2048, X_SERIES.goalPosition).toString('hex')).toBe('00080000');
    expect(encodeField(1, X_SERIES.torqueEnable).toString('hex')).toBe('01');
  });
});

describe('X-series table', () => {
  it('has the e-manual addresses', () => {
    expect(X_SERIES.modelNumber).toEqual({ address: 0, size: 2, signed: false });
    expect(X_SERIES.returnDelayTime.address).toBe(9);
    expect(X_SERIES.homingOffset).toEqual({ address: 20, size: 4, signed: true });
    expect(X_SERIES.torqueEnable.address).toBe(64);
    expect(X_SERIES.hardwareErrorStatus.address).toBe(70);
    expect(X_SERIES.goalPosition).toEqual({ address: 116, size: 4, signed: true });
    expect(X_SERIES.presentCurrent).toEqual({ address: 126, size: 2, signed: true });
    expect(X_SERIES.presentPosition).toEqual({ address: 132, size: 4, signed: true });
    expect(X_SERIES.presentTemperature.address).toBe(146);
  });

  it('maps model numbers to names', () => {
    expect(MODEL_NUMBERS['xm430-w350']).toBe(1020);
    expect(MODEL_NUMBERS['xl430-w250']).toBe(1060);
    expect(MODEL_NUMBERS['xm540-w270']).toBe(1120);
    expect(MODEL_NUMBERS['xl330-m288']).toBe(1200);
    expect(modelNameOf(1060)).toBe('xl430-w250');
    expect(modelNameOf(1030)).toBeUndefined();
  });
});
