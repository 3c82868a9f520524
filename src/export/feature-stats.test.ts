import { execFileSync } from 'node:child_process';
import { expect, test } from 'vitest';
import { QUANTILE_KEYS, aggregateStats, imageStats, nest, statsToJson, vectorStats } from './feature-stats.js';
import { mulberry32 } from '../sim/seeded-random.js';

/** LeRobot's histogram quantile, run in numpy (np.linspace, np.histogram, np.cumsum, np.searchsorted). */
const NUMPY_QUANTILES = `
import json, sys
import numpy as np
values = np.array(json.load(sys.stdin), dtype=np.float64)
edges = np.linspace(values.min() - 1e-10, values.max() + 1e-10, 5001)
cumsum = np.cumsum(np.histogram(values, bins=edges)[0])
out = []
for q in [0.01, 0.10, 0.50, 0.90, 0.99]:
    target = q * len(values)
    idx = np.searchsorted(cumsum, target)
    if idx == 0:
        out.append(edges[0]); continue
    before = cumsum[idx - 1]
    in_bin = cumsum[idx] - before
    out.append(edges[idx] + (target - before) / in_bin * (edges[idx + 1] - edges[idx]) if in_bin else edges[idx])
print(json.dumps({"quantiles": [float(v) for v in out], "mean": float(values.mean()), "std": float(values.std())}))
`;

function numpyReference(values: number[]): { quantiles: number[]; mean: number; std: number } {
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', NUMPY_QUANTILES], { input: JSON.stringify(values), encoding: 'utf8' }));
}

test('vectorStats matches numpy per column', () => {
  const next = mulberry32(9);
  const rows = 1000;
  const values = Float32Array.from({ length: rows * 2 }, (_, i) => (i % 2 === 0 ? next() * 4 - 2 : Math.exp(next() * 3)));
  const stats = vectorStats(values, rows, 2);

  for (let column = 0; column < 2; column++) {
    const columnValues = Array.from({ length: rows }, (_, row) => values[row * 2 + column]!);
    const reference = numpyReference(columnValues);
    expect(stats.min[column]).toBe(Math.min(...columnValues));
    expect(stats.max[column]).toBe(Math.max(...columnValues));
    expect(stats.mean[column]).toBeCloseTo(reference.mean, 10);
    expect(stats.std[column]).toBeCloseTo(reference.std, 10);
    QUANTILE_KEYS.forEach((key, i) => expect(stats.quantiles[key][column]).toBeCloseTo(reference.quantiles[i]!, 9));
  }
  expect(stats.count).toBe(rows);
  expect(stats.shape).toEqual([2]);
});

test('vectorStats of one row uses the mean as quantiles', () => {
  const stats = vectorStats(new BigInt64Array([7n]), 1, 1);

  expect(stats.min).toEqual([7]);
  expect(stats.std).toEqual([0]);
  for (const key of QUANTILE_KEYS) expect(stats.quantiles[key]).toEqual([7]);
});

test('imageStats scales 8-bit values to 0..1', () => {
  const counts = [0, 1, 2].map(() => new Float64Array(256));
  counts[0]![0] = 3;
  counts[0]![255] = 1;
  counts[1]![100] = 4;
  counts[2]![50] = 2;
  counts[2]![150] = 2;
  const stats = imageStats(counts, 2);

  expect(stats.shape).toEqual([3, 1, 1]);
  expect(stats.count).toBe(2);
  expect(stats.min).toEqual([0, 100 / 255, 50 / 255]);
  expect(stats.max).toEqual([1, 100 / 255, 150 / 255]);
  expect(stats.mean[0]).toBeCloseTo(0.25, 12);
  expect(stats.mean[2]).toBeCloseTo(100 / 255, 12);
  expect(stats.std[2]).toBeCloseTo(50 / 255, 12);
  expect(nest(stats.mean, stats.shape)).toEqual([[[stats.mean[0]]], [[stats.mean[1]]], [[stats.mean[2]]]]);
});

test('aggregateStats pools episodes like one', () => {
  const first = Float32Array.from([1, 2, 3, 4]);
  const second = Float32Array.from([10, 20]);
  const pooled = aggregateStats([vectorStats(first, 4, 1), vectorStats(second, 2, 1)]);
  const whole = vectorStats(Float32Array.from([1, 2, 3, 4, 10, 20]), 6, 1);

  expect(pooled.count).toBe(6);
  expect(pooled.min).toEqual([1]);
  expect(pooled.max).toEqual([20]);
  expect(pooled.mean[0]).toBeCloseTo(whole.mean[0]!, 12);
  expect(pooled.std[0]).toBeCloseTo(whole.std[0]!, 12);
  expect(pooled.quantiles.q50[0]).toBeCloseTo((4 * vectorStats(first, 4, 1).quantiles.q50[0]! + 2 * vectorStats(second, 2, 1).quantiles.q50[0]!) / 6, 12);
});

test('statsToJson orders keys as LeRobot writes them', () => {
  const json = statsToJson(vectorStats(Float32Array.from([1, 2]), 2, 1));

  expect(Object.keys(json)).toEqual(['min', 'max', 'mean', 'std', 'count', ...QUANTILE_KEYS]);
  expect(json.count).toEqual([2]);
});
