/** Small seeded PRNG (mulberry32) returning floats in [0, 1): the same seed gives the same sequence. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Returns a uniform float in [min, max) from `random`. */
export function uniform(random: () => number, min: number, max: number): number {
  return min + random() * (max - min);
}
