/**
 * Scratchpad initialisation S_0: a truncated normal (cut at +-3 sigma) from a seeded mulberry32
 * generator. The exporter's Python code uses the same generator, so one seed gives bit-equal
 * S_0 in both languages.
 */

/** Returns a mulberry32 generator of uniform numbers in [0, 1) for a uint32 seed. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const TRUNCATION = 3;

/**
 * Fills `out` with standard normals (Box-Muller on two uniforms, in float64) truncated at
 * +-3 by rejection, times `sigma`, rounded to float32 on store.
 */
export function fillTruncatedNormal(out: Float32Array, sigma: number, seed: number): Float32Array {
  const next = mulberry32(seed);
  for (let i = 0; i < out.length; i++) {
    let z: number;
    do {
      const u1 = next();
      const u2 = next();
      z = Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
    } while (Math.abs(z) > TRUNCATION);
    out[i] = z * sigma;
  }
  return out;
}

/** sigma of S_0 for a manifest's scratchpadInitScale (gamma * sqrt(2/5)). */
export function scratchpadSigma(initScale: number): number {
  return initScale * Math.sqrt(2 / 5);
}

/** Draws a random uint32 seed for inferences that request none. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 32) >>> 0;
}
