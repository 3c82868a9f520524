import { expect, test } from 'vitest';
import { latestAtOrBefore, medianRateHz, uniformGrid, uniformGridLength } from './time-grid.js';

test('uniformGrid rounds offsets and includes the end', () => {
  const grid = uniformGrid(1000n, 1000n + 100_000_000n, 30);

  expect(grid).toEqual([1000n, 1000n + 33_333_333n, 1000n + 66_666_667n, 1000n + 100_000_000n]);
});

test('uniformGrid of an empty span has one time', () => {
  expect(uniformGrid(5n, 5n, 50)).toEqual([5n]);
});

test('latestAtOrBefore holds the last sample', () => {
  const samples = [10n, 20n, 30n, 40n];
  const picks = latestAtOrBefore(samples, [10n, 15n, 19n, 20n, 39n, 40n, 100n]);

  expect([...picks]).toEqual([0, 0, 0, 1, 2, 3, 3]);
});

test('latestAtOrBefore uses the first sample before it', () => {
  const picks = latestAtOrBefore([100n, 200n], [0n, 99n, 100n]);

  expect([...picks]).toEqual([0, 0, 0]);
});

test('latestAtOrBefore keeps the last of equal times', () => {
  const picks = latestAtOrBefore([10n, 20n, 20n, 30n], [20n, 25n]);

  expect([...picks]).toEqual([2, 2]);
});

test('latestAtOrBefore rejects an empty stream', () => {
  expect(() => latestAtOrBefore([], [1n])).toThrow(RangeError);
});

test('medianRateHz ignores one dropped frame', () => {
  const times = [0n, 33_000_000n, 67_000_000n, 133_000_000n, 167_000_000n, 200_000_000n];

  expect(medianRateHz(times)).toBeCloseTo(1e9 / 34_000_000, 6);
  expect(medianRateHz([1n])).toBeNull();
});

test('uniformGrid keeps a time within the tolerance after the end', () => {
  expect(uniformGrid(0n, 9_979_000_000n, 50, 10_000_000).at(-1)).toBe(9_980_000_000n);
  expect(uniformGrid(0n, 9_979_000_000n, 50, 10_000_000)).toHaveLength(500);
  expect(uniformGrid(0n, 9_979_000_000n, 50)).toHaveLength(499);
});

test('uniformGridLength counts the times of uniformGrid', () => {
  expect(uniformGridLength(100_000_000, 30)).toBe(4);
  expect(uniformGridLength(9_980_000_000, 30, 10_000_000)).toBe(300);
  expect(uniformGridLength(0, 50)).toBe(1);
});
