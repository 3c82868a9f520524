import { expect, test } from 'vitest';
import { downsampleStep, sampleIndices } from './image-stats.js';

test('sampleIndices spreads about length^0.75 frames', () => {
  const indices = sampleIndices(1800);

  expect(indices).toHaveLength(276);
  expect(indices[0]).toBe(0);
  expect(indices.at(-1)).toBe(1799);
  expect(indices).toEqual([...indices].sort((a, b) => a - b));
});

test('sampleIndices keeps every frame of short episodes', () => {
  expect(sampleIndices(50)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  expect(sampleIndices(1)).toEqual([0]);
});

test('sampleIndices takes 100 frames up to about 460', () => {
  const indices = sampleIndices(300);

  expect(indices).toHaveLength(100);
  // numpy rounds half to even: 299 * 3 / 99 = 9.0606..., 299 * 33 / 99 = 99.666...
  expect(indices[3]).toBe(9);
  expect(indices[33]).toBe(100);
});

test('downsampleStep targets a 150-pixel long side', () => {
  expect(downsampleStep(640, 480)).toBe(4);
  expect(downsampleStep(1280, 720)).toBe(8);
  expect(downsampleStep(480, 640)).toBe(4);
  expect(downsampleStep(299, 200)).toBe(1);
});
