/** Deterministic episodes and steps for the store's tests and crash fixture. */
import type { EpisodeMeta, StepSample } from '../episode-types.js';

/** Returns `length` float32 values whose bits come from a fixed PRNG (mulberry32), so NaN payloads, infinities and subnormals occur. */
export function float32Bits(seed: number, length: number): Float32Array {
  const bits = new Uint32Array(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    bits[i] = (t ^ (t >>> 14)) >>> 0;
  }
  return new Float32Array(bits.buffer);
}

/** Step `index` of a test episode: 14-value vectors, velocity on even steps only. */
export function sampleStep(index: number): StepSample {
  return {
    tNs: 1_000_000_000_000n + BigInt(index) * 20_000_000n,
    observationState: float32Bits(index * 4 + 1, 14),
    action: float32Bits(index * 4 + 2, 14),
    followerVelocity: index % 2 === 0 ? float32Bits(index * 4 + 3, 14) : null,
    followerCurrent: float32Bits(index * 4 + 4, 14),
    periodMs: 20 + (index % 7) / 8,
    latenessMs: (index % 100) / 10,
    busMs: 2.5 + (index % 3),
  };
}

export function sampleMeta(overrides: Partial<EpisodeMeta> = {}): EpisodeMeta {
  return {
    task: 'fold the towel',
    kind: 'teleop',
    fps: 50,
    rig: { arms: ['left_leader', 'left_follower', 'right_leader', 'right_follower'], baudRate: 1_000_000 },
    calibration: { left_follower: [{ id: 1, homingOffset: -12, direction: 1, rangeMin: 1000, rangeMax: 3000 }] },
    startedAt: new Date('2026-03-01T10:00:00.000Z'),
    startNs: 1_000_000_000_000n,
    ...overrides,
  };
}

/** Returns the bytes of a vector, for bit-exact comparisons (NaN !== NaN otherwise). */
export function bytesOf(vector: Float32Array | null | undefined): number[] | null {
  return vector ? [...new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength)] : null;
}
