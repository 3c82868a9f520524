import { describe, expect, it } from 'vitest';
import { fillTruncatedNormal, mulberry32, scratchpadSigma } from './scratchpad.js';

// Values printed by the exporter's Python generator (training/rdvla/scratchpad.py,
// initial_scratchpad(seed, 2, 8, init_scale=1.0)), stored as float32.
const PYTHON_FIRST_16: Record<number, number[]> = {
  0: [
    0.49785929918289185, 0.2728663682937622, -0.6815981268882751, -0.5183084011077881, -0.6089758276939392, 0.38847947120666504,
    -1.1462571620941162, -0.5414503812789917, -0.8036484122276306, 0.5943465828895569, 0.187968447804451, 0.47617360949516296,
    0.9351820945739746, -0.7858196496963501, 0.4856911599636078, -1.041823387145996,
  ],
  42: [
    -0.8126029968261719, -0.5978935956954956, -0.3866075873374939, -0.3578639626502991, -1.2476930618286133, 0.3538680374622345,
    -0.36690184473991394, -0.4192489683628082, -0.7399553656578064, -0.05456767976284027, 1.143490195274353, 0.8306661248207092,
    0.4613524377346039, 0.08481555432081223, 0.766289234161377, 0.21440920233726501,
  ],
  4294967295: [
    0.4999033808708191, 0.941697895526886, -1.1849958896636963, -0.9441704154014587, 0.3408806324005127, 0.4764825999736786,
    -0.04123060405254364, 0.030312873423099518, 1.1277320384979248, -0.27438777685165405, 1.2626897096633911, 0.6700688600540161,
    0.26302435994148254, -0.11989741027355194, 0.5381878614425659, -0.016659511253237724,
  ],
};

describe('scratchpad initialisation', () => {
  for (const [seed, expected] of Object.entries(PYTHON_FIRST_16)) {
    it(`matches Python bit for bit, seed ${seed}`, () => {
      const values = fillTruncatedNormal(new Float32Array(16), scratchpadSigma(1), Number(seed));
      expect(Array.from(values)).toEqual(expected);
    });
  }

  it('matches Python over a full 8 x 896 scratchpad', () => {
    // initial_scratchpad(7, 8, 896, 0.5): elements 100, 1000, 7167, float64 sum, max |value|.
    const values = fillTruncatedNormal(new Float32Array(8 * 896), scratchpadSigma(0.5), 7);
    expect(values[100]).toBe(-0.0167255736887455);
    expect(values[1000]).toBe(0.00783209502696991);
    expect(values[7167]).toBe(0.3566455543041229);
    expect(values.reduce((sum, value) => sum + value, 0)).toBeCloseTo(-48.85149630561136, 9);
    expect(Math.max(...values.map(Math.abs))).toBe(0.9468902349472046);
  });

  it('cuts values at 3 sigma', () => {
    const sigma = scratchpadSigma(2);
    const values = fillTruncatedNormal(new Float32Array(200_000), sigma, 123);
    const largest = values.reduce((max, value) => Math.max(max, Math.abs(value)), 0);
    expect(largest).toBeLessThanOrEqual(3 * sigma * (1 + 1e-7));
    expect(largest).toBeGreaterThan(2.5 * sigma);
  });

  it('mulberry32 returns numbers in [0, 1)', () => {
    const next = mulberry32(1);
    for (let i = 0; i < 10_000; i++) {
      const value = next();
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThan(1);
    }
  });
});
