import type { Manifest } from './manifest.js';

/**
 * Execution horizon rules: how many actions of a predicted chunk the robot executes before the
 * next inference, decided from k* (the number of iterations the recurrent core ran).
 */
export type BinaryHorizonRule = Manifest['inference']['binary'];
export type LinearHorizonRule = Manifest['inference']['linear'];

/**
 * Binary rule. "hard-replans-sooner" (the RD-VLA paper): k* > threshold -> short, else long.
 * "hard-runs-longer" (the released RD-VLA code): k* > threshold -> long, else short.
 */
export function binaryHorizon(kStar: number, rule: BinaryHorizonRule): number {
  const hard = kStar > rule.threshold;
  if (rule.direction === 'hard-replans-sooner') return hard ? rule.short : rule.long;
  return hard ? rule.long : rule.short;
}

/**
 * Linear decay rule: the full chunk when k* <= fullChunkAtOrBelow (when set), else
 * max(hMin, hMax - max(0, k* - tauBase)).
 */
export function linearHorizon(kStar: number, rule: LinearHorizonRule, chunkSize: number): number {
  if (rule.fullChunkAtOrBelow !== undefined && rule.fullChunkAtOrBelow !== null && kStar <= rule.fullChunkAtOrBelow) {
    return chunkSize;
  }
  return Math.max(rule.hMin, rule.hMax - Math.max(0, kStar - rule.tauBase));
}
