import { describe, expect, it } from 'vitest';
import { binaryHorizon, linearHorizon, type BinaryHorizonRule, type LinearHorizonRule } from './horizon.js';

describe('binaryHorizon', () => {
  const paper: BinaryHorizonRule = { threshold: 4, short: 4, long: 8, direction: 'hard-replans-sooner' };
  const releasedCode: BinaryHorizonRule = { ...paper, direction: 'hard-runs-longer' };
  const cases: [number, number, number][] = [
    // k*, horizon (hard-replans-sooner), horizon (hard-runs-longer)
    [1, 8, 4],
    [3, 8, 4],
    [4, 8, 4],
    [5, 4, 8],
    [12, 4, 8],
    [32, 4, 8],
  ];
  for (const [kStar, sooner, longer] of cases) {
    it(`k* ${kStar}: ${sooner} when hard replans sooner, ${longer} when hard runs longer`, () => {
      expect(binaryHorizon(kStar, paper)).toBe(sooner);
      expect(binaryHorizon(kStar, releasedCode)).toBe(longer);
    });
  }
});

describe('linearHorizon', () => {
  const rule: LinearHorizonRule = { hMax: 7, hMin: 2, tauBase: 8, fullChunkAtOrBelow: 6 };
  const cases: [number, number][] = [
    [1, 8],
    [6, 8],
    [7, 7],
    [8, 7],
    [9, 6],
    [10, 5],
    [13, 2],
    [14, 2],
    [32, 2],
  ];
  for (const [kStar, horizon] of cases) {
    it(`k* ${kStar} executes ${horizon}`, () => {
      expect(linearHorizon(kStar, rule, 8)).toBe(horizon);
    });
  }

  it('decays from hMax without a full-chunk threshold', () => {
    const withoutFullChunk: LinearHorizonRule = { hMax: 7, hMin: 2, tauBase: 8 };
    expect(linearHorizon(1, withoutFullChunk, 8)).toBe(7);
    expect(linearHorizon(11, withoutFullChunk, 8)).toBe(4);
    expect(linearHorizon(11, { ...withoutFullChunk, fullChunkAtOrBelow: null }, 8)).toBe(4);
  });
});
