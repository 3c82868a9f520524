export { mulberry32 } from '../policy/scratchpad.js';

/** Returns a uniform float in [min, max) from `random`, a generator of floats in [0, 1). */
export function uniform(random: () => number, min: number, max: number): number {
  return min + random() * (max - min);
}
