import { describe, expect, it } from 'vitest';
import { jointToRaw, motorsOutOfRange, radiansToTicks, rawToJoint, ticksToOpening, ticksToRadians } from './calibration.js';
import type { MotorConfig } from './rig-config.js';

const elbow: MotorConfig = { id: 3, model: 'xm430-w350', joint: 'elbow', calibration: { homingOffset: 100, direction: -1, rangeMin: 800, rangeMax: 3200 } };
const gripper: MotorConfig = { id: 7, model: 'xm430-w350', joint: 'gripper', calibration: { homingOffset: 0, direction: -1, rangeMin: 1500, rangeMax: 2500 } };

describe('calibration', () => {
  it('maps the center tick to zero radians', () => {
    expect(ticksToRadians(2048, { homingOffset: 0, direction: 1, rangeMin: 0, rangeMax: 4095 })).toBe(0);
  });

  it('applies homing offset and direction', () => {
    // (1948 + 100 - 2048) = 0; (2972 + 100 - 2048) = 1024 ticks = a quarter turn, negated.
    expect(ticksToRadians(1948, elbow.calibration)).toBeCloseTo(0, 12);
    expect(ticksToRadians(2972, elbow.calibration)).toBeCloseTo(-Math.PI / 2, 12);
    expect(radiansToTicks(-Math.PI / 2, elbow.calibration)).toBe(2972);
  });

  it('round trips every tick in range', () => {
    for (let raw = elbow.calibration.rangeMin; raw <= elbow.calibration.rangeMax; raw += 7) {
      expect(jointToRaw(rawToJoint(raw, elbow), elbow)).toBe(raw);
    }
  });

  it('inverts the gripper opening when direction is -1', () => {
    expect(ticksToOpening(2500, gripper.calibration)).toBe(0);
    expect(ticksToOpening(1500, gripper.calibration)).toBe(1);
    expect(jointToRaw(0.25, gripper)).toBe(2250);
  });

  it('clamps goals to the calibrated range', () => {
    expect(jointToRaw(10, elbow)).toBe(800);
    expect(jointToRaw(-10, elbow)).toBe(3200);
  });

  it('lists motors outside their range', () => {
    expect(motorsOutOfRange([elbow, gripper], [3400, 2000])).toEqual([elbow]);
    expect(motorsOutOfRange([elbow, gripper], [3250, 2000])).toEqual([]);
  });
});
